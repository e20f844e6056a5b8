#ifndef CZIGROUTE_H
#define CZIGROUTE_H
#ifdef __cplusplus
extern "C" {
#endif
/** Hands a shared value to a thread and waits for it on a condition variable; returns the value plus its final use
    count (42 + 1). */
int czigroute_wait_for_thread(void);
#ifdef __cplusplus
}
#endif
#endif
