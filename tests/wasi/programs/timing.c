/* Clocks, sleeping through poll_oneoff, randomness and exit(); prints only stable facts. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec a, b, res;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec nap = {0, 20 * 1000 * 1000};
  int r = nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long elapsed = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  printf("nanosleep=%d slept_enough=%d\n", r, elapsed >= 20 * 1000 * 1000);
  clock_getres(CLOCK_REALTIME, &res);
  printf("realtime res positive=%d\n", res.tv_sec > 0 || res.tv_nsec > 0);
  time_t now = time(NULL);
  printf("realtime plausible=%d\n", now > 1600000000);
  unsigned char bytes[32] = {0};
  getentropy(bytes, sizeof bytes);
  int nonzero = 0;
  for (int i = 0; i < 32; i++) nonzero |= bytes[i];
  printf("entropy nonzero=%d\n", nonzero != 0);
  fflush(stdout);
  exit(5);
}
