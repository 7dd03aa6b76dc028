package qemuimages

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/cavaliergopher/cpio"
)

// File is one regular file of an initramfs.
type File struct {
	// Path is the path inside the initramfs, without a leading slash.
	Path string
	// Mode holds the permission bits.
	Mode fs.FileMode
	// Data is the content.
	Data []byte
}

// WriteInitramfs writes files as a newc cpio archive, the format the kernel
// unpacks into its root filesystem. The archive is reproducible: entries
// are sorted by path, parent directories are added, and every entry has
// mtime 0, uid and gid 0 and an inode number given by its position, so the
// same files give the same bytes on every build and machine.
//
// The archive has no /dev/console: the kernel's built-in initramfs
// provides it, and the firmware mounts devtmpfs on /dev before anything
// else.
func WriteInitramfs(w io.Writer, files []File) error {
	entries := map[string]*File{}
	dirs := map[string]bool{}
	for i := range files {
		f := &files[i]
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			return fmt.Errorf("qemu-images: initramfs file with empty path")
		}
		if _, dup := entries[p]; dup {
			return fmt.Errorf("qemu-images: initramfs file %s given twice", p)
		}
		entries[p] = f
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		if _, clash := entries[d]; clash {
			return fmt.Errorf("qemu-images: initramfs path %s is both a file and a directory", d)
		}
	}
	names := make([]string, 0, len(entries)+len(dirs))
	for p := range entries {
		names = append(names, p)
	}
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names) // a parent sorts before its children

	bw := bufio.NewWriterSize(w, 1<<20)
	cw := cpio.NewWriter(bw)
	for i, name := range names {
		hdr := &cpio.Header{Name: name, Inode: int64(i + 1), Links: 1}
		f, isFile := entries[name]
		if isFile {
			hdr.Mode = cpio.TypeReg | cpio.FileMode(f.Mode.Perm())
			hdr.Size = int64(len(f.Data))
		} else {
			hdr.Mode = cpio.TypeDir | 0o755
			hdr.Links = 2
		}
		if err := cw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("qemu-images: initramfs %s: %w", name, err)
		}
		if isFile {
			if _, err := cw.Write(f.Data); err != nil {
				return fmt.Errorf("qemu-images: initramfs %s: %w", name, err)
			}
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
