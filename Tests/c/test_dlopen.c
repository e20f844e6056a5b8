/* The library survives dlopen / dlclose cycles (it is linked -z nodelete) and works after each. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <cfcerts.h>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "libcfcerts.so.0";
    int passed = 0, failed = 0;
    for (int i = 0; i < 20; i++) {
        void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) {
            fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
            failed++;
            continue;
        }
        int (*version_number)(void) = (int (*)(void))dlsym(library, "cfcerts_version_number");
        int (*csr_generate)(char **, const char *) = (int (*)(char **, const char *))dlsym(library, "cfcerts_csr_generate");
        void (*string_free)(char *) = (void (*)(char *))dlsym(library, "cfcerts_string_free");
        char *out = NULL;
        if (version_number && version_number() == CFCERTS_VERSION_NUMBER && csr_generate && string_free &&
            csr_generate(&out, "{\"common_name\": \"dlopen\"}") == CFCERTS_OK && strstr(out, "csr_pem") != NULL) {
            passed++;
        } else {
            failed++;
        }
        if (string_free) string_free(out);
        if (dlclose(library) != 0) failed++;
    }
    printf("test_dlopen: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
