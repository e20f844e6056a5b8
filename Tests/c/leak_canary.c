/* Deliberately leaks one string from the library: the valgrind run of this program must fail, which shows the
 * suppressions hide only what they name. */
#include <cfcerts.h>
#include <stdio.h>

int main(void) {
    char *generated = NULL;
    if (cfcerts_csr_generate(&generated, "{\"common_name\": \"canary\"}") != CFCERTS_OK) return 2;
    printf("leaking %p\n", (void *)generated); /* never freed with cfcerts_string_free */
    return 0;
}
