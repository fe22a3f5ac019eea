/* Ordinary application code: linked lists, string tables, a switch, recursion, thread-local
 * counters (TLS operators under -fPIC), calls to an undefined function (PLT), static and
 * global data. Built with every flag set of gcc.test.ts, unwind tables on and off. */
#include <stddef.h>

struct node {
  struct node *next;
  int key;
  const char *name;
};

static struct node pool[64];
static int used;
__thread int tls_counter;
static __thread int tls_local = 5;
extern int printf(const char *, ...);
extern int ext_value;
static const char *names[] = { "alpha", "beta", "gamma", "delta" };

struct node *alloc_node(int key) {
  if (used >= 64) return NULL;
  struct node *n = &pool[used++];
  n->key = key;
  n->name = names[key & 3];
  tls_counter++;
  tls_local += key;
  return n;
}

int sum(struct node *n) {
  int s = 0;
  for (; n; n = n->next) s += n->key * 3 + (n->name[0] == 'a');
  return s;
}

int classify(int x) {
  switch (x) {
  case 0: return 10;
  case 1: return 20;
  case 2: return 33;
  case 3: return 47;
  case 4: return 51;
  case 5: return 66;
  default: return -1;
  }
}

long fact(long n) { return n <= 1 ? 1 : n * fact(n - 1); }

void report(void) { printf("%d %d %s %d\n", used, tls_counter, names[1], ext_value); }
