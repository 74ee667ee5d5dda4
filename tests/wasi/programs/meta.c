/* Metadata and descriptor flags: utimensat/futimens, fcntl, isatty, chdir-relative paths, *at calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("/sandbox/t.txt", O_CREAT | O_RDWR, 0644);
  write(fd, "0123456789", 10);
  struct timespec times[2] = {{1000000000, 5}, {1200000000, 7}};
  printf("futimens: %d\n", futimens(fd, times));
  struct stat st;
  fstat(fd, &st);
  printf("mtime=%lld.%09ld atime=%lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
         (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  printf("utimensat: %d\n", utimensat(AT_FDCWD, "/sandbox/t.txt", omit, 0));
  stat("/sandbox/t.txt", &st);
  printf("mtime=%lld atime=%lld\n", (long long)st.st_mtim.tv_sec, (long long)st.st_atim.tv_sec);

  int flags = fcntl(fd, F_GETFL);
  printf("accmode rdwr=%d append=%d\n", (flags & O_ACCMODE) == O_RDWR, (flags & O_APPEND) != 0);
  printf("setfl append: %d\n", fcntl(fd, F_SETFL, flags | O_APPEND));
  printf("append now=%d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  lseek(fd, 0, SEEK_SET);
  write(fd, "END", 3);
  printf("size after append write=%lld end=%lld\n", (long long)lseek(fd, 0, SEEK_END), (long long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  printf("isatty(1)=%d isatty(fd 3)=%d\n", isatty(1), isatty(3));

  printf("chdir: %d\n", chdir("/sandbox"));
  printf("mkdir rel: %d\n", mkdir("reldir", 0755));
  printf("chdir rel: %d\n", chdir("reldir"));
  fd = open("../t.txt", O_RDONLY);
  char buf[16] = {0};
  read(fd, buf, 13);
  printf("read via ..: %s\n", buf);
  close(fd);
  fd = open("inner.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  write(fd, "inner", 5);
  close(fd);
  char cwd[128];
  printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
  printf("access existing=%d missing=%d\n", access("inner.txt", F_OK), access("nope", F_OK));
  printf("renameat over: %d\n", renameat(AT_FDCWD, "inner.txt", AT_FDCWD, "../t.txt"));
  chdir("/sandbox");
  printf("unlinkat dir: %d\n", unlinkat(AT_FDCWD, "reldir", AT_REMOVEDIR));
  struct stat lst;
  symlink("t.txt", "/sandbox/sl");
  printf("fstatat nofollow link=%d\n", fstatat(AT_FDCWD, "sl", &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode));
  printf("stat follow size=%lld\n", stat("sl", &lst) == 0 ? (long long)lst.st_size : -1LL);
  printf("open dir O_RDONLY then fstat dir=%d\n", (fd = open(".", O_RDONLY)) >= 0 && fstat(fd, &lst) == 0 && S_ISDIR(lst.st_mode));
  errno = 0;
  printf("read dir fd: %zd %s\n", read(fd, buf, 4), strerror(errno));
  return 0;
}
