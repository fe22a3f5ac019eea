# Globals, locals, undefined symbols and the common relocations in .text/.data/.bss.
	.text
	.globl	start
	.type	start, @function
	.p2align 4
start:
	call	helper
	call	external_fn
	movq	$external_obj, %rax
	movl	$external_obj+16, %eax
	movq	counter(%rip), %rax
	leaq	table(%rip), %rdi
	movq	external_var(%rip), %rsi
	addq	$1, buffer+8(%rip)
	ret
	.size	start, .-start

	.type	helper, @function
helper:
	xorl	%eax, %eax
	ret
	.size	helper, .-helper

	.data
	.p2align 3
	.globl	table
	.type	table, @object
table:
	.quad	start
	.quad	helper
	.quad	external_fn
	.quad	helper+2
	.size	table, .-table
counter:
	.long	7
	.long	external_obj

	.bss
	.p2align 5
	.type	buffer, @object
buffer:
	.zero	64
	.size	buffer, 64
