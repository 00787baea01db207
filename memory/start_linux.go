//go:build linux

package memory

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// processStart names one process for its whole life: this boot's id
// (/proc/sys/kernel/random/boot_id) and the process's start time in clock
// ticks since boot (field 22 of /proc/<pid>/stat), as "<boot id>:<ticks>".
// A pid used again, or a container restarted with the same pid, gives
// another name. It is "" when the process does not exist or /proc cannot
// be read.
func processStart(pid int) string {
	if pid <= 0 {
		return ""
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	ticks, ok := statStart(stat)
	if !ok {
		return ""
	}
	return strings.TrimSpace(string(boot)) + ":" + strconv.FormatUint(ticks, 10)
}

// statStart reads field 22 (starttime) of a /proc/<pid>/stat line. The
// command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted after its last ')'.
func statStart(stat []byte) (uint64, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(fields[19], 10, 64)
	return n, err == nil
}
