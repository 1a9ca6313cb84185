package doctor

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const procMounts = `proc /proc proc rw,relatime 0 0
sysfs /sys sysfs rw,relatime 0 0
tracefs /sys/kernel/tracing tracefs rw,relatime 0 0
/dev/sdb1 /mnt/my\040disk\011x ext4 rw 0 0
debugfs /sys/kernel/debug debugfs rw,relatime 0 0
bad\134name /mnt/back\134slash tmpfs rw 0 0
short line
`

func TestParseMounts(t *testing.T) {
	got, err := parseMounts(strings.NewReader(procMounts))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"tracefs", "/sys/kernel/tracing", "tracefs"},
		{"/dev/sdb1", "/mnt/my disk\tx", "ext4"},
		{"debugfs", "/sys/kernel/debug", "debugfs"},
		{`bad\name`, `/mnt/back\slash`, "tmpfs"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestMountQueries(t *testing.T) {
	mounts, _ := parseMounts(strings.NewReader(procMounts + "none /sys/kernel/tracing tmpfs rw 0 0\n"))
	if got := MountedAt(mounts, "/sys/kernel/tracing"); got != "tmpfs" {
		t.Errorf("the last mount on a directory hides the others: got %q", got)
	}
	if got := MountedAt(mounts, "/nowhere"); got != "" {
		t.Errorf("nothing mounted: got %q", got)
	}
	if got := MountsOf(mounts, "debugfs"); !reflect.DeepEqual(got, []string{"/sys/kernel/debug"}) {
		t.Errorf("debugfs mounts: %q", got)
	}
}

func TestReadMountsOfThisProcess(t *testing.T) {
	mounts, err := ReadMounts()
	if err != nil {
		t.Fatal(err)
	}
	if MountedAt(mounts, "/proc") != "proc" {
		t.Errorf("no proc at /proc in %v", mounts)
	}

	old := mountsPath
	mountsPath = filepath.Join(t.TempDir(), "missing")
	t.Cleanup(func() { mountsPath = old })
	if _, err := ReadMounts(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing mounts file: %v", err)
	}
}
