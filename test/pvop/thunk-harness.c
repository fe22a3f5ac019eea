/*
 * Runs a generated callee-save thunk on the real CPU. `victim` (compiled by gcc, convention c)
 * dirties every register the System V ABI lets a callee clobber; the harness fills every general
 * register with a known pattern, calls the thunk named by THUNK, and stores every register
 * afterwards. A correct thunk leaves all of them but the ALLOWED ones (rax) intact, and calls victim with the
 * stack 16-byte aligned. Build with -fno-omit-frame-pointer (the alignment check reads the
 * frame pointer) and -DTHUNK=symbol.
 */
#include <stdint.h>
#include <stdio.h>

#ifndef THUNK
#error "define THUNK to the thunk symbol"
#endif
/* Registers the thunk may change: bit i is register i in NAMES order (rax by default). */
#ifndef ALLOWED
#define ALLOWED 0x1
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

extern void THUNK(void);
uint64_t regs_before[16], regs_after[16], saved_rsp;
uint64_t victim_calls, victim_misaligned;

/* The C function behind the thunk: scribbles on rcx rdx rsi rdi r8-r11 (and rax, legally). */
__attribute__((noinline)) uint64_t victim(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f) {
  /* With a frame pointer, rbp = entry rsp - 8, which is 16-aligned iff the caller's rsp was. */
  victim_misaligned += ((uintptr_t)__builtin_frame_address(0) & 15) != 0;
  victim_calls++;
  __asm__ volatile(
      "mov $0xdead0001, %%rcx\n\tmov $0xdead0002, %%rdx\n\tmov $0xdead0003, %%rsi\n\t"
      "mov $0xdead0004, %%rdi\n\tmov $0xdead0005, %%r8\n\tmov $0xdead0006, %%r9\n\t"
      "mov $0xdead0007, %%r10\n\tmov $0xdead0008, %%r11\n\t" ::
          : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11");
  return a ^ b ^ c ^ d ^ e ^ f;
}

static const char *const NAMES[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

#define LOAD(i, r) "mov regs_before+" #i "*8(%%rip), %%" r "\n\t"
#define STORE(i, r) "mov %%" r ", regs_after+" #i "*8(%%rip)\n\t"

int main(void) {
  for (int i = 0; i < 16; i++) regs_before[i] = 0x1111111111111111ull * (uint64_t)(i + 1) ^ 0x0123456789abcdefull;
  /* Every register but rsp is loaded from regs_before; the stack is 16-aligned at the call, as
   * the ABI requires of a caller; every register is stored to regs_after right after it. */
  __asm__ volatile(
      "push %%rbp\n\tpush %%rbx\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n\t"
      "mov %%rsp, saved_rsp(%%rip)\n\t"
      "and $-16, %%rsp\n\t"
      LOAD(1, "rcx") LOAD(2, "rdx") LOAD(3, "rbx") LOAD(5, "rbp") LOAD(6, "rsi") LOAD(7, "rdi")
      LOAD(8, "r8") LOAD(9, "r9") LOAD(10, "r10") LOAD(11, "r11") LOAD(12, "r12") LOAD(13, "r13")
      LOAD(14, "r14") LOAD(15, "r15") LOAD(0, "rax")
      "call " STR(THUNK) "\n\t"
      STORE(0, "rax") STORE(1, "rcx") STORE(2, "rdx") STORE(3, "rbx") STORE(4, "rsp") STORE(5, "rbp")
      STORE(6, "rsi") STORE(7, "rdi") STORE(8, "r8") STORE(9, "r9") STORE(10, "r10") STORE(11, "r11")
      STORE(12, "r12") STORE(13, "r13") STORE(14, "r14") STORE(15, "r15")
      "mov saved_rsp(%%rip), %%rsp\n\t"
      "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbx\n\tpop %%rbp\n\t"
      :
      :
      : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
  int bad = 0;
  for (int i = 0; i < 16; i++) {
    if (((ALLOWED >> i) & 1) || i == 4) continue; /* allowed to change; rsp was realigned by the harness */
    if (regs_after[i] != regs_before[i]) {
      printf("clobbered %s: before %016llx after %016llx\n", NAMES[i], (unsigned long long)regs_before[i],
             (unsigned long long)regs_after[i]);
      bad = 1;
    }
  }
  if (victim_calls != 1 || victim_misaligned != 0) bad = 1;
  printf("calls %llu misaligned %llu\n", (unsigned long long)victim_calls, (unsigned long long)victim_misaligned);
  return bad;
}
