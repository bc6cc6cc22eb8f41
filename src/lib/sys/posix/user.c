/*
 * user.c - sys.h's users and groups on POSIX: getpwnam and getgrnam, then
 * the same by number (getpwuid, getgrgid) when the word is all digits.
 */
#include "sys/sys.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The number NAME spells, when it is all digits. */
static bool number(const char *name, unsigned long *id)
{
	char *end;

	if (*name < '0' || *name > '9')
		return false;
	errno = 0;
	*id = strtoul(name, &end, 10);
	return *end == '\0' && errno == 0 && *id < (unsigned long)(uid_t)-1;
}

int sipc__sys_user(const char *name, char *out, size_t outlen, unsigned *uid, unsigned *gid)
{
	const struct passwd *pw = getpwnam(name);
	unsigned long id;

	if (pw == NULL && number(name, &id))
		pw = getpwuid((uid_t)id);
	if (pw == NULL)
		return -ENOENT;
	snprintf(out, outlen, "%s", pw->pw_name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int sipc__sys_group(const char *name, char *out, size_t outlen, unsigned *gid)
{
	const struct group *gr = getgrnam(name);
	unsigned long id;

	if (gr == NULL && number(name, &id))
		gr = getgrgid((gid_t)id);
	if (gr == NULL)
		return -ENOENT;
	snprintf(out, outlen, "%s", gr->gr_name);
	*gid = gr->gr_gid;
	return 0;
}

unsigned sipc__sys_euid(void)
{
	return geteuid();
}
