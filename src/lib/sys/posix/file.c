/*
 * file.c - the socket files of unix:// names: whether a path is one (and
 * which one, by device and inode), unlink and chmod.
 */
#include "sys/sys.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int sipc__sys_sockfile(const char *path, struct sipc__file_id *id)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (id != NULL) {
		id->dev = (uint64_t)st.st_dev;
		id->ino = (uint64_t)st.st_ino;
	}
	return 0;
}

int sipc__sys_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

int sipc__sys_chmod(const char *path, unsigned mode)
{
	return chmod(path, (mode_t)mode) < 0 ? -errno : 0;
}
