//go:build !linux

package main

import "fmt"

func dropPrivileges(name string) error {
	return fmt.Errorf("--user is supported on Linux only")
}
