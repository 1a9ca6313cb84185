package kheaders

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gosnoop/gosnoop/internal/btfheader"
)

// The BTF tree's generated header and the sum that checks a cached copy.
const (
	btfHeader    = "include/linux/gosnoop_btf_vmlinux.h"
	btfHeaderSum = btfHeader + ".sha256"
)

// SyscallTypes are the types syscall tracepoint format files name beyond
// integers (libbcc copies them into the args structs it writes): every BTF
// tree declares those the kernel has. Scalar typedefs come anyway.
var SyscallTypes = []btfheader.Root{
	"struct pt_regs", // libbcc's PT_REGS_PARMx and kprobe argument rewrite
	"fd_set", "sigset_t", "stack_t", "siginfo_t", "cap_user_header_t", "cap_user_data_t",
	"enum landlock_rule_type", "struct open_how", "struct sigaction", "struct sigaltstack",
}

// PrepareBTF returns gosnoop's BTF tree: the minimal tree's stubs, a
// kconfig.h that includes a header generated from the kernel's BTF, with
// roots and SyscallTypes and what they hold, and a linux/version.h for the
// running kernel. It is cached like the minimal tree (see PrepareMinimal),
// under a name made from the kernel's build id, the roots and this
// gosnoop's stubs, so a second run generates nothing; a cached header is
// checked against the sha256 stored beside it.
func PrepareBTF(cacheDir string, roots []btfheader.Root) (Source, error) {
	return prepareBTF(cacheDir, os.Geteuid(), roots)
}

func prepareBTF(cacheDir string, euid int, roots []btfheader.Root) (Source, error) {
	src := Source{Kind: BTF}
	want, err := btfTree()
	if err != nil {
		return src, err
	}
	roots = btfheader.SortedRoots(roots)
	id, err := kernelIdentity()
	if err != nil {
		return src, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", treeHash(want), id, btfheader.Version())
	for _, r := range roots {
		fmt.Fprintf(h, "%s\x00", r)
	}
	name := "btf-headers-" + hex.EncodeToString(h.Sum(nil))[:12]
	var generated string
	fill := func() error {
		start := time.Now()
		hdr, err := btfheader.Generate(vmlinuxBTF, roots, SyscallTypes)
		if err != nil {
			return fmt.Errorf("%w: %w", errGenerate, err)
		}
		want[btfHeader] = entry{data: hdr, generated: true}
		want[btfHeaderSum] = entry{data: []byte(sha256Line(hdr)), generated: true, sumOf: btfHeader}
		generated = fmt.Sprintf("%d KB from %s in %v", (len(hdr)+1023)/1024, vmlinuxBTF, time.Since(start).Round(time.Millisecond))
		return nil
	}
	src, err = prepareTree(cacheDir, euid, src, name, want, fill)
	src.Generated = generated
	return src, err
}

// btfTree lists the BTF tree's entries, the generated header's as
// placeholders that fill completes.
func btfTree() (map[string]entry, error) {
	arch, err := btfArchDir()
	if err != nil {
		return nil, err
	}
	want := map[string]entry{
		"include/linux/version.h": {data: versionHeader(Release())},
		btfHeader:                 {generated: true},
		btfHeaderSum:              {generated: true, sumOf: btfHeader},
	}
	// UAPI headers of macros only, which the UAPI files serve: the BPF
	// instruction macros libbcc's bpf.h includes, and the errno values
	// programs include. No UAPI header of types is reachable.
	for _, rel := range []string{"linux/bpf_common.h", "asm-generic/errno-base.h", "asm-generic/errno.h"} {
		file := filepath.Join(uapiDir, rel)
		if !isFile(file) {
			return nil, fmt.Errorf("kernel UAPI header %s missing (apt-get install linux-libc-dev)", file)
		}
		want["include/uapi/"+rel] = entry{link: file}
	}
	if err := embedded(want, arch, "common", "btf"); err != nil {
		return nil, err
	}
	// This machine's page size: arm64 kernels use 4, 16 or 64 KiB.
	want["arch/"+arch+"/include/asm/page.h"] = entry{data: []byte(fmt.Sprintf(
		"/* gosnoop's BTF tree: libbcc's helpers only need PAGE_SIZE. */\n#define PAGE_SIZE %d\n", os.Getpagesize()))}
	return want, nil
}

// kernelIdentity names the running kernel's BTF: the kernel's GNU build id
// (in its ELF notes) with the BTF's size, or, where the notes cannot be
// read, the BTF's own sha256.
func kernelIdentity() (string, error) {
	st, err := os.Stat(vmlinuxBTF)
	if err != nil {
		return "", err
	}
	if notes, err := os.ReadFile(kernelNotes); err == nil && len(notes) > 0 {
		sum := sha256.Sum256(notes)
		return fmt.Sprintf("notes:%x:%d:%s", sum[:8], st.Size(), Release()), nil
	}
	data, err := os.ReadFile(vmlinuxBTF)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return fmt.Sprintf("btf:%x", sum[:16]), nil
}

// versionHeader is linux/version.h for a release such as 6.18.44-foo:
// LINUX_VERSION_CODE and KERNEL_VERSION, as the kernel's build writes them
// (each part capped at 255, as the kernel does for the third).
func versionHeader(release string) []byte {
	var v [3]int
	for i, part := range strings.SplitN(release, ".", 3) {
		digits := part
		if j := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			digits = part[:j]
		}
		n, _ := strconv.Atoi(digits)
		v[i] = min(n, 255)
	}
	safe := strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || r == '*' || r == '/' {
			return '_'
		}
		return r
	}, release)
	return []byte(fmt.Sprintf("/* gosnoop's BTF tree: the running kernel, %s. */\n"+
		"#define LINUX_VERSION_CODE %d\n"+
		"#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))\n",
		safe, v[0]<<16+v[1]<<8+v[2]))
}
