//go:build !windows

package main

// defaultEventsMaxSize: elsewhere logrotate (SIGHUP) is the usual way;
// --events-max-size turns rotation on.
const defaultEventsMaxSize = 0
