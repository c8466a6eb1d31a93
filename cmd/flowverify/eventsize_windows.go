package main

// defaultEventsMaxSize: Windows has no logrotate, so --events rotates
// itself unless told not to.
const defaultEventsMaxSize = 100 << 20
