package cgroup

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const hybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:38 /system.slice /mnt/my\040slice rw - cgroup2 cgroup2 rw
`

func TestPlace(t *testing.T) {
	ms, err := Mounts(strings.NewReader(hybrid))
	if err != nil || len(ms) != 2 || ms[1].Point != "/mnt/my slice" || ms[1].Root != "/system.slice" {
		t.Fatalf("Mounts = %+v, %v", ms, err)
	}
	for _, c := range []struct {
		path, dir string
		level     uint32
	}{
		{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified", 0},
		{"/sys/fs/cgroup/unified/a", "/sys/fs/cgroup/unified/a", 1},
		{"/sys/fs/cgroup/unified/system.slice/docker-1.scope", "/sys/fs/cgroup/unified/system.slice/docker-1.scope", 2},
		{"system.slice/docker-1.scope", "/sys/fs/cgroup/unified/system.slice/docker-1.scope", 2},
		{"/system.slice/docker-1.scope", "/sys/fs/cgroup/unified/system.slice/docker-1.scope", 2}, // as /proc/PID/cgroup says it
		{".", "/sys/fs/cgroup/unified", 0},
		{"../../etc", "/sys/fs/cgroup/unified/etc", 1}, // stays under the mount
		{"/mnt/my slice/x.scope", "/mnt/my slice/x.scope", 2},
		{"/sys/fs/cgroup/unifiedx", "/sys/fs/cgroup/unified/sys/fs/cgroup/unifiedx", 4},
	} {
		dir, level, err := Place(ms, c.path)
		if err != nil || dir != c.dir || level != c.level {
			t.Errorf("Place(%q) = %q, %d, %v; want %q, %d", c.path, dir, level, err, c.dir, c.level)
		}
	}
	if _, _, err := Place(nil, "/x"); !errors.Is(err, ErrNoHierarchy) {
		t.Errorf("Place without mounts: %v", err)
	}
	if _, err := Mounts(strings.NewReader("1 2 3\n")); err == nil {
		t.Error("Mounts took a bad line")
	}
}

func TestResolveLive(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	ms, err := Mounts(f)
	f.Close()
	if err != nil || len(ms) == 0 {
		t.Skipf("needs a cgroup v2 hierarchy mounted: %v", err)
	}
	g, err := Resolve(ms[0].Point)
	if err != nil || g.Level != 0 || g.ID == 0 {
		t.Errorf("Resolve(%q) = %+v, %v", ms[0].Point, g, err)
	}
	for _, bad := range []string{"/etc", "/nonexistent/x", ms[0].Point + "/cgroup.procs"} {
		if g, err := Resolve(bad); err == nil {
			t.Errorf("Resolve(%q) = %+v, want an error", bad, g)
		}
	}
}

// A subtree mounted inside the hierarchy: a path under it is placed by the
// deepest mount point, and /proc/PID/cgroup's form by a mount's root.
func TestPlaceNestedMounts(t *testing.T) {
	ms, err := Mounts(strings.NewReader(`41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
51 41 0:38 /a/b/c /sys/fs/cgroup/x rw - cgroup2 cgroup2 rw
`))
	if err != nil {
		t.Fatal(err)
	}
	if dir, level, err := Place(ms, "/sys/fs/cgroup/x/d"); err != nil || dir != "/sys/fs/cgroup/x/d" || level != 4 {
		t.Errorf("under the nested mount: %q, %d, %v; want level 4", dir, level, err)
	}
	only, _ := Mounts(strings.NewReader("50 23 0:38 /system.slice /mnt/s rw - cgroup2 cgroup2 rw\n"))
	if dir, level, err := Place(only, "/system.slice/docker-1.scope"); err != nil || dir != "/mnt/s/docker-1.scope" || level != 2 {
		t.Errorf("a subtree's only mount: %q, %d, %v", dir, level, err)
	}
	if _, _, err := Place(only, "/user.slice"); err == nil {
		t.Error("a cgroup outside every mount was placed")
	}
}
