/* escape [DIR]: tries to leave the sandbox and prints what each attempt got.
 * DIR (default ".") should be a preopened directory. For every attempt one
 * line "<what>: <result>" where result is "ok" (the attempt worked: a bug in
 * a sandbox, unless the target is inside DIR) or the errno name. Attempts:
 * relative ".." paths, absolute host paths, symlinks created inside DIR that
 * point outside (relative and absolute), rename/link out of DIR, and opening
 * a directory via "..". Reading what was opened prints its first line, so a
 * leak is visible in the output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *errno_name(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ELOOP: return "ELOOP";
    case EBADF: return "EBADF";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EXDEV: return "EXDEV";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case EROFS: return "EROFS";
    default: return "E?";
    }
}

static void report(const char *what, int ok) {
    if (ok)
        printf("%s: ok\n", what);
    else
        printf("%s: %s (%d)\n", what, errno_name(errno), errno);
}

static void try_open(const char *label, const char *path) {
    char what[512];
    snprintf(what, sizeof what, "open %s %s", label, path);
    errno = 0;
    int fd = open(path, O_RDONLY);
    report(what, fd >= 0);
    if (fd >= 0) {
        char line[128] = {0};
        ssize_t n = read(fd, line, sizeof line - 1);
        if (n > 0) {
            line[strcspn(line, "\n")] = 0;
            printf("  read: %s\n", line);
        }
        close(fd);
    }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[512], target[512];

    snprintf(path, sizeof path, "%s/../outside.txt", dir);
    try_open("dotdot", path);
    snprintf(path, sizeof path, "%s/sub/../../outside.txt", dir);
    try_open("nested-dotdot", path);
    try_open("absolute", "/etc/passwd");
    try_open("absolute-outside", "/outside.txt");
    try_open("relative", "../outside.txt");
    snprintf(path, sizeof path, "%s/..", dir);
    try_open("parent-dir", path);

    snprintf(path, sizeof path, "%s/link-relative", dir);
    errno = 0;
    report("symlink ../outside.txt -> link-relative", symlink("../outside.txt", path) == 0);
    try_open("via-symlink", path);

    snprintf(path, sizeof path, "%s/link-absolute", dir);
    errno = 0;
    report("symlink /etc/passwd -> link-absolute", symlink("/etc/passwd", path) == 0);
    try_open("via-symlink", path);

    snprintf(path, sizeof path, "%s/link-parent", dir);
    errno = 0;
    report("symlink .. -> link-parent", symlink("..", path) == 0);
    snprintf(path, sizeof path, "%s/link-parent/outside.txt", dir);
    try_open("through-symlinked-dir", path);

    snprintf(path, sizeof path, "%s/inside.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    report("create inside.txt", fd >= 0);
    if (fd >= 0) {
        write(fd, "inside\n", 7);
        close(fd);
    }
    snprintf(target, sizeof target, "%s/../moved.txt", dir);
    errno = 0;
    report("rename inside.txt -> ../moved.txt", rename(path, target) == 0);
    snprintf(target, sizeof target, "%s/../linked.txt", dir);
    errno = 0;
    report("link inside.txt -> ../linked.txt", link(path, target) == 0);
    snprintf(target, sizeof target, "%s/../created.txt", dir);
    errno = 0;
    fd = open(target, O_WRONLY | O_CREAT, 0644);
    report("create ../created.txt", fd >= 0);
    if (fd >= 0)
        close(fd);
    errno = 0;
    report("chdir ..", chdir("..") == 0);
    return 0;
}
