/* Large directory listings through fd_readdir cookies: readdir, telldir/seekdir, rewinddir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  char name[256];
  mkdir("/sandbox/many", 0755);
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "/sandbox/many/entry-with-a-rather-long-name-%04d-%.*s", i, i % 90,
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    int fd = open(name, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) { perror("create"); return 1; }
    close(fd);
  }
  DIR *d = opendir("/sandbox/many");
  struct dirent *e;
  int count = 0;
  long total = 0;
  while ((e = readdir(d))) { count++; total += strlen(e->d_name); }
  printf("entries=%d name_bytes=%ld\n", count, total);

  rewinddir(d);
  for (int i = 0; i < 50; i++) readdir(d);
  long mark = telldir(d);
  char first[5][256];
  for (int i = 0; i < 5; i++) strcpy(first[i], readdir(d)->d_name);
  for (int i = 0; i < 100; i++) readdir(d);
  seekdir(d, mark);
  int same = 1;
  for (int i = 0; i < 5; i++) same &= strcmp(first[i], readdir(d)->d_name) == 0;
  printf("seekdir returns to the same entries: %d\n", same);
  closedir(d);

  struct pollfd p = {.fd = 0, .events = POLLIN};
  int ready = poll(&p, 1, 1000);
  printf("poll stdin: %d readable=%d\n", ready, (p.revents & POLLIN) != 0);
  char buf[64] = {0};
  ssize_t n = read(0, buf, sizeof buf - 1);
  printf("read %zd: %s", n, buf);
  return 0;
}
