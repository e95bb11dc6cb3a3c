//! Files, shaped like `std::fs`, whose calls do not stall the runtime.
//!
//! A file read cannot be polled the way a socket can: it blocks its thread
//! in the kernel. Called from a goroutine, a `std::fs` call therefore holds
//! the goroutine's P — the other goroutines on it wait (on GOMAXPROCS=1,
//! all of them). Every function here runs the std call inside
//! [`gort::syscall`](crate::syscall), so when it is slow the P is handed to
//! another thread meanwhile, as Go does for every system call. From a plain
//! thread they are std's calls.
//!
//! Which std calls block a P: anything that waits in the kernel — `std::fs`,
//! `std::io::stdin().read_line`, `std::thread::sleep`, `std::process::
//! Command::output`, a blocking C library call. Wrap such a call in
//! `gort::syscall(|| …)`, or use the gort equivalent (`gort::fs`,
//! `gort::time::sleep`, `gort::net`).

use crate::syscall;
use std::fs::{Metadata, OpenOptions};
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Read a whole file (std's `fs::read`).
pub fn read<P: AsRef<Path>>(path: P) -> io::Result<Vec<u8>> {
    syscall(|| std::fs::read(path))
}

/// Read a whole file as UTF-8 (std's `fs::read_to_string`).
pub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String> {
    syscall(|| std::fs::read_to_string(path))
}

/// Write a whole file, creating or truncating it (std's `fs::write`).
pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    syscall(|| std::fs::write(path, contents))
}

/// A file's metadata (std's `fs::metadata`).
pub fn metadata<P: AsRef<Path>>(path: P) -> io::Result<Metadata> {
    syscall(|| std::fs::metadata(path))
}

/// Remove a file (std's `fs::remove_file`).
pub fn remove_file<P: AsRef<Path>>(path: P) -> io::Result<()> {
    syscall(|| std::fs::remove_file(path))
}

/// Create a directory and its parents (std's `fs::create_dir_all`).
pub fn create_dir_all<P: AsRef<Path>>(path: P) -> io::Result<()> {
    syscall(|| std::fs::create_dir_all(path))
}

/// An open file (std's `fs::File`); reads, writes and seeks hand the P off
/// when they are slow. `&File` reads and writes too, as std's.
#[derive(Debug)]
pub struct File {
    inner: std::fs::File,
}

impl File {
    /// Open a file for reading.
    pub fn open<P: AsRef<Path>>(path: P) -> io::Result<File> {
        syscall(|| std::fs::File::open(path)).map(File::from)
    }

    /// Create a file for writing, truncating it if it exists.
    pub fn create<P: AsRef<Path>>(path: P) -> io::Result<File> {
        syscall(|| std::fs::File::create(path)).map(File::from)
    }

    /// Open with std's `OpenOptions` (`File::open_with(OpenOptions::new().append(true), p)`).
    pub fn open_with<P: AsRef<Path>>(options: &OpenOptions, path: P) -> io::Result<File> {
        syscall(|| options.open(path)).map(File::from)
    }

    /// The file's metadata.
    pub fn metadata(&self) -> io::Result<Metadata> {
        syscall(|| self.inner.metadata())
    }

    /// Truncate or extend the file to `size` bytes.
    pub fn set_len(&self, size: u64) -> io::Result<()> {
        syscall(|| self.inner.set_len(size))
    }

    /// Flush data and metadata to the device (`fsync`).
    pub fn sync_all(&self) -> io::Result<()> {
        syscall(|| self.inner.sync_all())
    }

    /// Flush data to the device (`fdatasync`).
    pub fn sync_data(&self) -> io::Result<()> {
        syscall(|| self.inner.sync_data())
    }

    /// The std file inside.
    pub fn into_std(self) -> std::fs::File {
        self.inner
    }
}

impl From<std::fs::File> for File {
    fn from(inner: std::fs::File) -> File {
        File { inner }
    }
}

/// Retry a call the preemption signal (SIGURG, `SA_RESTART`) interrupted
/// before it did anything, as Go's os package does: such an `EINTR` is the
/// runtime's business, not the caller's.
fn retry_eintr<R>(mut call: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

impl Read for &File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        syscall(|| retry_eintr(|| (&self.inner).read(buf)))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        syscall(|| retry_eintr(|| (&self.inner).read_vectored(bufs)))
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        syscall(|| (&self.inner).read_to_end(buf))
    }
}

impl Write for &File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        syscall(|| retry_eintr(|| (&self.inner).write(buf)))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        syscall(|| retry_eintr(|| (&self.inner).write_vectored(bufs)))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for &File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        syscall(|| retry_eintr(|| (&self.inner).seek(pos)))
    }
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        (&*self).read_to_end(buf)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&*self).seek(pos)
    }
}
