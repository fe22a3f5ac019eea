# Which .L labels in mergeable sections as keeps, and where they go in .symtab. A kept label
# as turns into a full symbol early (at its place among the symbols then) when a memory
# operand's displacement names a label it already knows: referenced before (.LB), defined
# (.LG in `last`), or in a movq with general registers (.LE, .LD), whose operands as reads
# twice. Immediates (.LA) and data (.LF) never do; the others go after every symbol, in
# relocation order.
	.text
	.globl	first
first:
	leaq	.LA(%rip), %rdi
	leaq	.LB(%rip), %rsi
	movq	$.LA, %rax
	movq	$.LA+1, %rax
	leaq	.LC(%rip), %rdx
	leaq	.LB(%rip), %rcx
middle:
	movq	.LE(%rip), %r8
	movq	%r9, .LD+8(%rip)
	movl	.LG(%rip), %eax
	.long	.LF+1
	.long	.LF+1
	movq	$.LH, %rax
	ret
	.section .rodata.str1.1,"aMS",@progbits,1
.LA:
	.string	"a"
.LB:
	.string	"bb"
.LC:
	.string	"ccc"
.LH:
	.string	"h"
	.section .rodata.cst8,"aM",@progbits,8
	.p2align 3
.LD:
	.quad	1
	.quad	2
.LE:
	.quad	3
.LF:
	.quad	4
.LG:
	.quad	5
	.text
last:
	leaq	.LG(%rip), %rax
	leaq	.LD(%rip), %rax
	ret
