/*
 * Runs x86-64 snippets natively, from a given state, and reports the state they end in: the
 * oracle for the emulator's differential tests (test/emu/differential.test.ts) and for the
 * benchmark's native baseline (bench/emu.mjs).
 *
 * stdin:  u32 count, then `count` records of struct input.
 * stdout: `count` records of struct output.
 *
 * Fixed addresses, mapped once: the code page (rwx), two data pages (rw) followed by a
 * read-only page, and two stack pages (rw). Each record's data and stack windows are copied in
 * before the run and copied out after it. The code is the snippet followed by an absolute
 * `jmp *0(%rip)` to exit_stub, which saves every register and rflags. Faults are caught with
 * sigaltstack + sigsetjmp: the handler reports the machine context at the fault (registers,
 * rip, rflags, the trap number and the fault address) and jumps back.
 *
 * Mode "bench" (argv[1] = "bench", argv[2] = repetitions): stdin is a u32 (ignored) and raw
 * code bytes, run from all-zero registers `argv[2]` times; prints the best nanoseconds per run,
 * for the emulator's slowdown ratio (bench/emu.mjs).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_BASE 0x10000000UL
#define CODE_MAX 240
#define DATA_BASE 0x20000000UL /* two rw pages, then one r-- page */
#define WINDOW 512              /* data window straddles the boundary of the two rw pages */
#define DATA_WINDOW (DATA_BASE + 0x1000 - WINDOW / 2)
#define STACK_BASE 0x30000000UL /* two rw pages */
#define STACK_WINDOW (STACK_BASE + 0x1000 - WINDOW / 2)

struct input {
  uint64_t regs[16]; /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
  uint64_t rflags;
  uint32_t code_len;
  uint32_t reserved;
  uint8_t code[CODE_MAX];
  uint8_t data[WINDOW];
  uint8_t stack[WINDOW];
};

struct output {
  uint64_t regs[16];
  uint64_t rflags;
  uint64_t rip;
  uint32_t trapno; /* 0xffffffff: no fault */
  uint32_t error;
  uint64_t fault_addr;
  uint8_t data[WINDOW];
  uint8_t stack[WINDOW];
};

/* Shared with the assembly below. */
uint64_t in_regs[17];
uint64_t out_regs[17];
uint64_t host_rsp;
uint64_t code_entry = CODE_BASE;
static uint8_t exit_stack[4096] __attribute__((aligned(16)));
uint64_t exit_stack_top;

void run_snippet(void);
void exit_stub(void);

__asm__(
    ".text\n"
    ".globl run_snippet\n"
    "run_snippet:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  mov %rsp, host_rsp(%rip)\n"
    "  pushq in_regs+128(%rip)\n"
    "  popfq\n"
    "  mov in_regs+0(%rip), %rax\n"
    "  mov in_regs+8(%rip), %rcx\n"
    "  mov in_regs+16(%rip), %rdx\n"
    "  mov in_regs+24(%rip), %rbx\n"
    "  mov in_regs+40(%rip), %rbp\n"
    "  mov in_regs+48(%rip), %rsi\n"
    "  mov in_regs+56(%rip), %rdi\n"
    "  mov in_regs+64(%rip), %r8\n"
    "  mov in_regs+72(%rip), %r9\n"
    "  mov in_regs+80(%rip), %r10\n"
    "  mov in_regs+88(%rip), %r11\n"
    "  mov in_regs+96(%rip), %r12\n"
    "  mov in_regs+104(%rip), %r13\n"
    "  mov in_regs+112(%rip), %r14\n"
    "  mov in_regs+120(%rip), %r15\n"
    "  mov in_regs+32(%rip), %rsp\n"
    "  jmp *code_entry(%rip)\n"
    ".globl exit_stub\n"
    "exit_stub:\n"
    "  mov %rsp, out_regs+32(%rip)\n"
    "  mov exit_stack_top(%rip), %rsp\n"
    "  pushfq\n"
    "  popq out_regs+128(%rip)\n"
    "  mov %rax, out_regs+0(%rip)\n"
    "  mov %rcx, out_regs+8(%rip)\n"
    "  mov %rdx, out_regs+16(%rip)\n"
    "  mov %rbx, out_regs+24(%rip)\n"
    "  mov %rbp, out_regs+40(%rip)\n"
    "  mov %rsi, out_regs+48(%rip)\n"
    "  mov %rdi, out_regs+56(%rip)\n"
    "  mov %r8, out_regs+64(%rip)\n"
    "  mov %r9, out_regs+72(%rip)\n"
    "  mov %r10, out_regs+80(%rip)\n"
    "  mov %r11, out_regs+88(%rip)\n"
    "  mov %r12, out_regs+96(%rip)\n"
    "  mov %r13, out_regs+104(%rip)\n"
    "  mov %r14, out_regs+112(%rip)\n"
    "  mov %r15, out_regs+120(%rip)\n"
    "  pushq $0x202\n"
    "  popfq\n"
    "  mov host_rsp(%rip), %rsp\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n");

static sigjmp_buf back;
static struct output *current;

/* The kernel's ucontext register order differs from ours. */
static const int GREG_OF[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void on_fault(int sig, siginfo_t *info, void *context) {
  ucontext_t *uc = context;
  /* The kernel keeps rflags.AC for the handler; clear it before any unaligned access. */
  __asm__ volatile("pushfq; andq $~0x40000, (%%rsp); popfq" ::: "memory", "cc");
  for (int i = 0; i < 16; i++) current->regs[i] = (uint64_t)uc->uc_mcontext.gregs[GREG_OF[i]];
  current->rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  current->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  current->trapno = sig == SIGALRM ? 0xfffffffeu : (uint32_t)uc->uc_mcontext.gregs[REG_TRAPNO];
  current->error = (uint32_t)uc->uc_mcontext.gregs[REG_ERR];
  current->fault_addr = (uint64_t)info->si_addr;
  siglongjmp(back, 1);
}

static void *map_at(uint64_t addr, size_t len, int prot) {
  void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void *)addr) {
    perror("mmap");
    exit(2);
  }
  return p;
}

static void run_one(const struct input *in, struct output *out) {
  uint8_t *code = (uint8_t *)CODE_BASE;
  /* Everything outside the windows starts as zero, as it does in the emulator. */
  memset(code, 0, 0x1000);
  memset((void *)DATA_BASE, 0, 0x2000);
  memset((void *)STACK_BASE, 0, 0x2000);
  memcpy(code, in->code, in->code_len);
  /* jmp *disp(%rip) to an 8-aligned .quad exit_stub: aligned, so that a snippet leaving
     rflags.AC set (popf) does not take an alignment-check fault on the way out. */
  uint64_t target = (uint64_t)&exit_stub;
  uint32_t quad = (in->code_len + 6 + 7) & ~7u;
  int32_t disp = (int32_t)(quad - (in->code_len + 6));
  code[in->code_len] = 0xff;
  code[in->code_len + 1] = 0x25;
  memcpy(code + in->code_len + 2, &disp, 4);
  memcpy(code + quad, &target, 8);
  memcpy((void *)DATA_WINDOW, in->data, WINDOW);
  memcpy((void *)STACK_WINDOW, in->stack, WINDOW);
  memcpy(in_regs, in->regs, sizeof in_regs);
  current = out;
  out->trapno = 0xffffffffu;
  out->error = 0;
  out->fault_addr = 0;
  if (sigsetjmp(back, 1) == 0) {
    alarm(5); /* a snippet that never ends is reported (trapno 0xfffffffe), not waited for */
    run_snippet();
    memcpy(out->regs, out_regs, 16 * 8);
    out->rflags = out_regs[16];
    out->rip = CODE_BASE + in->code_len;
  }
  alarm(0);
  memcpy(out->data, (void *)DATA_WINDOW, WINDOW);
  memcpy(out->stack, (void *)STACK_WINDOW, WINDOW);
}

static int read_all(void *buf, size_t len) {
  uint8_t *p = buf;
  while (len) {
    ssize_t n = read(0, p, len);
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  map_at(CODE_BASE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
  map_at(DATA_BASE, 0x2000, PROT_READ | PROT_WRITE);
  map_at(DATA_BASE + 0x2000, 0x1000, PROT_READ);
  map_at(STACK_BASE, 0x2000, PROT_READ | PROT_WRITE);
  exit_stack_top = (uint64_t)(exit_stack + sizeof exit_stack);

  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGALRM};
  for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &sa, NULL);

  uint32_t count;
  if (read_all(&count, 4)) return 2;
  struct input *in = malloc(sizeof *in);
  struct output *out = malloc(sizeof *out);
  if (argc > 2 && strcmp(argv[1], "bench") == 0) {
    /* stdin after the count: raw code bytes; every register starts at 0 but rsp. */
    long reps = atol(argv[2]);
    memset(in, 0, sizeof *in);
    ssize_t n = read(0, in->code, CODE_MAX);
    if (n <= 0) return 2;
    in->code_len = (uint32_t)n;
    in->regs[4] = STACK_WINDOW + WINDOW / 2;
    in->rflags = 0x202;
    double best = 1e30;
    for (long i = 0; i < reps; i++) {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      run_one(in, out);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
      if (ns < best) best = ns;
    }
    printf("%.0f\n", best);
    return 0;
  }
  for (uint32_t i = 0; i < count; i++) {
    if (read_all(in, sizeof *in)) return 2;
    run_one(in, out);
    if (fwrite(out, sizeof *out, 1, stdout) != 1) return 2;
  }
  return 0;
}
