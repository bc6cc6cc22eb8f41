/*
 * file.c - the socket files of unix:// names on Windows, where AF_UNIX
 * (Windows 10 1803 and later) makes a reparse point tagged
 * IO_REPARSE_TAG_AF_UNIX.  Its identity is the volume serial number and
 * the file index, Windows' device and inode.  Such a file has no
 * permission bits for chmod to set: access is the file's ACL.
 */
#include "sys/win/win.h"

#ifndef IO_REPARSE_TAG_AF_UNIX
#define IO_REPARSE_TAG_AF_UNIX 0x80000023L
#endif

int sipc__sys_sockfile(const char *path, struct sipc__file_id *id)
{
	FILE_ATTRIBUTE_TAG_INFO tag;
	BY_HANDLE_FILE_INFORMATION info;
	HANDLE h;
	int rc = 0;

	/* OPEN_REPARSE_POINT: the file itself, as lstat(2) sees it;
	 * BACKUP_SEMANTICS lets a directory open too, to be told apart. */
	h = CreateFileA(path, FILE_READ_ATTRIBUTES,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return -sipc__win_errno((int)GetLastError());
	if (!GetFileInformationByHandleEx(h, FileAttributeTagInfo, &tag, sizeof(tag)) ||
	    !GetFileInformationByHandle(h, &info))
		rc = -sipc__win_errno((int)GetLastError());
	else if ((tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0 ||
		 tag.ReparseTag != (DWORD)IO_REPARSE_TAG_AF_UNIX)
		rc = -ENOTSOCK;
	else if (id != NULL) {
		id->dev = info.dwVolumeSerialNumber;
		id->ino = (uint64_t)info.nFileIndexHigh << 32 | info.nFileIndexLow;
	}
	CloseHandle(h);
	return rc;
}

int sipc__sys_unlink(const char *path)
{
	return DeleteFileA(path) ? 0 : -sipc__win_errno((int)GetLastError());
}

int sipc__sys_chmod(const char *path, unsigned mode)
{
	(void)path;
	(void)mode;
	return SIPC_ENOTSUP;
}
