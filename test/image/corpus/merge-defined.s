# Labels defined before their references: as turns each into a symbol at its first displacement
# reference, so the kept ones go where they are first referenced. A relocation subtracting a symbol, or
# made pc-relative by `- .`, keeps its label too.
	.section .rodata.str1.8,"aMS",@progbits,1
	.p2align 3
.LS0:
	.string	"zero"
.LS1:
	.string	"one"
	.section .rodata.cst16,"aM",@progbits,16
	.p2align 4
.LV:
	.quad	1, 2
	.text
	.globl	g
g:
	movq	.LV(%rip), %rax
	movq	$.LS1, %rax
	leaq	.LS0(%rip), %rdi
	leaq	.LS1+2(%rip), %rsi
	movq	.LS0(%rip), %rdx
	movl	$.LS0+1, %eax
	ret
	.section .rodata.ptrs,"a"
	.p2align 3
	.quad	.LS0
	.quad	.LS1 - .
	.long	.LV - .
	.quad	.LS0 + 0
# gcc's pattern: a string defined just before the function using it. The reference turns the
# label into a symbol there, between the symbols defined before and after it.
	.section .rodata.str1.1,"aMS",@progbits,1
.LT:
	.string	"tail"
	.text
tail_user:
	leaq	.LT(%rip), %rdi
	ret
	.section .rodata
after_tail:
	.long	1
