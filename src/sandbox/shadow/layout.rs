//! The byte layouts of the WASI preview1 structs and constants the wrappers read or write.

use std::marker::PhantomData;

pub const ERRNO_ACCES: i32 = 2;
pub const ERRNO_BADF: i32 = 8;
pub const ERRNO_FAULT: i32 = 21;
pub const ERRNO_INVAL: i32 = 28;
pub const ERRNO_IO: i32 = 29;
pub const ERRNO_NOENT: i32 = 44;
pub const ERRNO_NOSYS: i32 = 52;
pub const ERRNO_PERM: i32 = 63;
pub const ERRNO_ROFS: i32 = 69;
pub const ERRNO_NOTCAPABLE: i32 = 76;

pub const FILETYPE_DIRECTORY: u8 = 3;

pub const RIGHTS_FD_READ: u64 = 1 << 1;
pub const RIGHTS_FD_SEEK: u64 = 1 << 2;
pub const RIGHTS_FD_WRITE: u64 = 1 << 6;

pub const FDFLAGS_APPEND: u16 = 1 << 0;

pub const OFLAGS_CREAT: i32 = 1;
pub const OFLAGS_TRUNC: i32 = 8;

pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_PROCESS_CPUTIME: u32 = 2;
pub const CLOCK_THREAD_CPUTIME: u32 = 3;

pub const EVENTTYPE_CLOCK: u8 = 0;
pub const EVENTTYPE_FD_READ: u8 = 1;
pub const EVENTTYPE_FD_WRITE: u8 = 2;
pub const EVENTRWFLAGS_HANGUP: u16 = 1;
pub const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

/// A little-endian scalar inside a struct.
pub trait Scalar: Copy {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, bytes: &mut [u8]);
}

macro_rules! scalar {
    ($($ty:ty),*) => {$(
        impl Scalar for $ty {
            const SIZE: usize = std::mem::size_of::<$ty>();
            fn read(bytes: &[u8]) -> Self {
                <$ty>::from_le_bytes(bytes[..Self::SIZE].try_into().unwrap())
            }
            fn write(self, bytes: &mut [u8]) {
                bytes[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
scalar!(u8, u16, u32, u64);

/// A field of type `T` at a fixed offset in a struct.
pub struct Field<T>(usize, PhantomData<T>);

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Field<T> {}

impl<T: Scalar> Field<T> {
    pub const fn at(offset: usize) -> Self {
        Field(offset, PhantomData)
    }

    pub const fn offset(&self) -> usize {
        self.0
    }
}

/// The raw bytes of one struct of `N` bytes, read and written field by field, so that bytes
/// no field names (padding) pass through as they were.
#[derive(Clone, Copy)]
pub struct Raw<const N: usize>(pub [u8; N]);

impl<const N: usize> Raw<N> {
    pub fn zeroed() -> Self {
        Raw([0; N])
    }

    /// The first `N` bytes of `bytes`, which must be at least that long.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Raw(bytes[..N].try_into().unwrap())
    }

    pub fn get<T: Scalar>(&self, field: Field<T>) -> T {
        T::read(&self.0[field.0..])
    }

    pub fn set<T: Scalar>(&mut self, field: Field<T>, value: T) {
        value.write(&mut self.0[field.0..]);
    }
}

/// `filestat`: what `fd_filestat_get` and `path_filestat_get` answer.
pub mod filestat {
    use super::Field;
    pub const SIZE: usize = 64;
    pub const DEV: Field<u64> = Field::at(0);
    pub const INO: Field<u64> = Field::at(8);
    pub const FILETYPE: Field<u8> = Field::at(16);
    pub const NLINK: Field<u64> = Field::at(24);
    pub const FILE_SIZE: Field<u64> = Field::at(32);
    pub const ATIM: Field<u64> = Field::at(40);
    pub const MTIM: Field<u64> = Field::at(48);
    pub const CTIM: Field<u64> = Field::at(56);
}

/// `fdstat`: what `fd_fdstat_get` answers.
pub mod fdstat {
    use super::Field;
    pub const SIZE: usize = 24;
    pub const FILETYPE: Field<u8> = Field::at(0);
    pub const FLAGS: Field<u16> = Field::at(2);
    pub const RIGHTS_BASE: Field<u64> = Field::at(8);
}

/// `ciovec`: one buffer of a write.
pub mod ciovec {
    use super::Field;
    pub const SIZE: usize = 8;
    pub const BUF: Field<u32> = Field::at(0);
    pub const BUF_LEN: Field<u32> = Field::at(4);
}

/// `dirent`: the header before each name `fd_readdir` writes.
pub mod dirent {
    use super::Field;
    pub const SIZE: usize = 24;
    pub const NEXT: Field<u64> = Field::at(0);
    pub const INO: Field<u64> = Field::at(8);
    pub const NAMLEN: Field<u32> = Field::at(16);
    pub const TYPE: Field<u8> = Field::at(20);
}

/// `subscription`: one thing `poll_oneoff` waits for. The union after the tag holds either
/// a clock (`CLOCK_*`) or a descriptor (`FD`).
pub mod subscription {
    use super::Field;
    pub const SIZE: usize = 48;
    pub const USERDATA: Field<u64> = Field::at(0);
    pub const TAG: Field<u8> = Field::at(8);
    pub const CLOCK_ID: Field<u32> = Field::at(16);
    pub const CLOCK_TIMEOUT: Field<u64> = Field::at(24);
    pub const CLOCK_FLAGS: Field<u16> = Field::at(40);
    pub const FD: Field<u32> = Field::at(16);
}

/// `event`: one thing `poll_oneoff` found ready.
pub mod event {
    use super::Field;
    pub const SIZE: usize = 32;
    pub const USERDATA: Field<u64> = Field::at(0);
    pub const TYPE: Field<u8> = Field::at(10);
    pub const NBYTES: Field<u64> = Field::at(16);
    pub const FLAGS: Field<u16> = Field::at(24);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_and_write_little_endian_and_leave_padding_alone() {
        let mut stat = Raw::<{ filestat::SIZE }>([0xAA; filestat::SIZE]);
        stat.set(filestat::INO, 0x0102_0304_0506_0708);
        stat.set(filestat::FILETYPE, FILETYPE_DIRECTORY);
        assert_eq!(stat.get(filestat::INO), 0x0102_0304_0506_0708);
        assert_eq!(stat.0[8], 0x08);
        assert_eq!(stat.0[16], FILETYPE_DIRECTORY);
        assert_eq!(stat.0[17..24], [0xAA; 7]);
    }
}
