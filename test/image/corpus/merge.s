# Mergeable string and constant sections: as keeps some relocations against .L symbols.
	.text
	.globl	msg
msg:
	leaq	.LC0(%rip), %rdi
	leaq	.LC1(%rip), %rsi
	movq	$.LC1, %rax
	movq	$.LC1+2, %rdx
	movq	.LC2(%rip), %rcx
	ret
	.section .rodata.str1.1,"aMS",@progbits,1
.LC0:
	.string	"hello"
.LC1:
	.string	"world"
	.section .rodata.cst8,"aM",@progbits,8
	.p2align 3
.LC2:
	.long	0
	.long	1072693248
	.section .rodata.ptrs,"a"
	.p2align 3
	.quad	.LC0
	.quad	.LC1+1
