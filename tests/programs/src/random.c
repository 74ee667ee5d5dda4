/* Draws random bytes with getentropy and prints checkable facts: a
 * 256-byte draw is not all one value, and two draws differ. Exit 1 if not. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    unsigned char a[256], b[256];
    if (getentropy(a, sizeof a) != 0 || getentropy(b, sizeof b) != 0) {
        puts("getentropy failed");
        return 1;
    }
    int varied = 0;
    for (size_t i = 1; i < sizeof a; i++)
        varied |= a[i] != a[0];
    int differ = memcmp(a, b, sizeof a) != 0;
    printf("bytes not all equal: %s\n", varied ? "yes" : "NO");
    printf("two draws differ: %s\n", differ ? "yes" : "NO");
    return varied && differ ? 0 : 1;
}
