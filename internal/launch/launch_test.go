package launch

import (
	"os"
	"strings"
	"testing"
)

func TestUserEnv(t *testing.T) {
	got := userEnv([]string{"PATH=/bin", "HOME=/root", "USER=root", "LOGNAME=root", "TERM=xterm"}, Credential{UID: 1000, Name: "alice", Home: "/home/alice"})
	want := "PATH=/bin TERM=xterm HOME=/home/alice LOGNAME=alice USER=alice"
	if strings.Join(got, " ") != want {
		t.Errorf("%q, want %q", got, want)
	}
	// Unknown to the user database: the environment stays.
	if got := userEnv([]string{"HOME=/root"}, Credential{UID: 1234}); strings.Join(got, " ") != "HOME=/root" {
		t.Errorf("%q", got)
	}
}

func TestSudoCredential(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SUDO_UID counts only for root")
	}
	for _, c := range []struct{ uid, gid, err string }{
		{"1000", "", "not a user's ids"},
		{"", "1000", "not a user's ids"},
		{"4294967295", "1000", "not a user's ids"},
		{"x", "1", "not a user's ids"},
	} {
		t.Setenv("SUDO_UID", c.uid)
		t.Setenv("SUDO_GID", c.gid)
		if _, err := SudoCredential(); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("SUDO_UID %q SUDO_GID %q: %v", c.uid, c.gid, err)
		}
	}
	t.Setenv("SUDO_UID", "65534")
	t.Setenv("SUDO_GID", "65534")
	if c, err := SudoCredential(); err != nil || c == nil || c.UID != 65534 || c.GID != 65534 {
		t.Errorf("nobody: %+v, %v", c, err)
	}
}
