/* Exercises the file and directory calls of wasi-libc inside the /sandbox preopen. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("opendir %s: %s\n", path, strerror(errno)); return; }
  char *names[64]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("%s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

static void try_open(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd < 0) printf("open %s: %s\n", path, strerror(errno));
  else { printf("open %s: ok\n", path); close(fd); }
}

int main(void) {
  if (mkdir("/sandbox/work", 0755) != 0) { perror("mkdir"); return 1; }
  printf("mkdir again: %s\n", mkdir("/sandbox/work", 0755) == 0 ? "ok" : strerror(errno));
  FILE *f = fopen("/sandbox/work/a.txt", "w");
  for (int i = 0; i < 100; i++) fprintf(f, "line %d\n", i);
  fclose(f);

  int fd = open("/sandbox/work/a.txt", O_RDWR);
  char buf[32] = {0};
  lseek(fd, 10, SEEK_SET);
  read(fd, buf, 8);
  printf("read at 10: [%s]\n", buf);
  pwrite(fd, "XY", 2, 0);
  memset(buf, 0, sizeof buf);
  pread(fd, buf, 6, 0);
  printf("pread: [%s] pos=%ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
  struct stat st;
  fstat(fd, &st);
  printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  ftruncate(fd, 20);
  fstat(fd, &st);
  printf("truncated size=%lld\n", (long long)st.st_size);
  close(fd);

  fd = open("/sandbox/work/a.txt", O_WRONLY | O_APPEND);
  write(fd, "tail\n", 5);
  close(fd);
  stat("/sandbox/work/a.txt", &st);
  printf("after append size=%lld\n", (long long)st.st_size);

  printf("rename: %d\n", rename("/sandbox/work/a.txt", "/sandbox/work/b.txt"));
  printf("symlink: %d\n", symlink("b.txt", "/sandbox/work/link"));
  char target[64] = {0};
  ssize_t n = readlink("/sandbox/work/link", target, sizeof target - 1);
  printf("readlink: %zd [%s]\n", n, target);
  lstat("/sandbox/work/link", &st);
  printf("lstat is link: %d\n", S_ISLNK(st.st_mode));
  printf("link: %d\n", link("/sandbox/work/b.txt", "/sandbox/work/hard"));
  stat("/sandbox/work/hard", &st);
  printf("nlink=%d\n", (int)st.st_nlink);
  mkdir("/sandbox/work/sub", 0755);
  list("/sandbox/work");
  printf("rmdir nonempty: %s\n", rmdir("/sandbox/work") == 0 ? "ok" : strerror(errno));
  printf("unlink dir: %s\n", unlink("/sandbox/work/sub") == 0 ? "ok" : strerror(errno));
  printf("rmdir sub: %d\n", rmdir("/sandbox/work/sub"));
  printf("unlink hard: %d\n", unlink("/sandbox/work/hard"));

  try_open("/sandbox/../etc/passwd", O_RDONLY);
  try_open("/sandbox/work/../../secret.txt", O_RDONLY);
  try_open("/etc/passwd", O_RDONLY);
  try_open("/sandbox/missing", O_RDONLY);
  try_open("/sandbox/work/b.txt", O_CREAT | O_EXCL | O_WRONLY);
  try_open("/sandbox/work/b.txt/x", O_RDONLY);
  try_open("/sandbox/work", O_WRONLY);
  symlink("../../secret.txt", "/sandbox/work/escape");
  try_open("/sandbox/work/escape", O_RDONLY);
  try_open("/sandbox/work/link", O_RDONLY | O_NOFOLLOW);

  f = fopen("/sandbox/work/b.txt", "r");
  char line[64];
  int lines = 0;
  while (fgets(line, sizeof line, f)) lines++;
  fclose(f);
  printf("lines=%d\n", lines);
  list("/sandbox");
  return 0;
}
