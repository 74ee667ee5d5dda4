/* Reads stdin, echoes it upper-cased; reports args and environment; exits with argv[1]. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char *greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  printf("MISSING=%s\n", getenv("MISSING") ? "set" : "(unset)");
  int c, count = 0;
  while ((c = getchar()) != EOF) { putchar(toupper(c)); count++; }
  fprintf(stderr, "read %d bytes\n", count);
  fflush(stdout);
  return argc > 1 ? atoi(argv[1]) : 0;
}
