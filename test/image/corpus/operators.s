# The other relocation operators, in every field as takes them: @GOT (GOT32, GOT64),
# @GOTOFF/@GOTPLT/@PLTOFF (64-bit only: `movq $x@GOTOFF` becomes movabs), @PLT in data, @SIZE
# (SIZE32 unsigned, SIZE64), and references to _GLOBAL_OFFSET_TABLE_ itself (GOTPC32/64;
# as counts an immediate one from the instruction's start).
	.text
	.globl	g
g:
	movq	$sym@GOT, %rax
	movq	sym@GOT(%rbx), %rax
	movq	sym@GOT+8(%rbx), %rax
	movabsq	$sym@GOT, %rax
	imulq	$sym@GOT, %rax, %rax
	pushq	$sym@GOT
	movq	$sym@GOTOFF, %rax
	movabsq	$loc@GOTOFF, %rdx
	movq	$sym@GOTPLT, %rax
	movabsq	$sym@PLTOFF, %r11
	movabsq	$loc@PLTOFF, %r11
	movl	$sym@SIZE, %eax
	addl	$sym@SIZE, %eax
	movq	$sym@SIZE, %rax
	movq	$g@SIZE, %rcx
	movq	$sym@PLT, %rax
	movq	sym@PLT(%rip), %rax
	call	sym@PLT
	call	g@PLT
	jmp	sym@PLT
	jmp	g@PLT
	jne	g@PLT
	leaq	_GLOBAL_OFFSET_TABLE_(%rip), %rbx
	movq	_GLOBAL_OFFSET_TABLE_(%rip), %rax
	movabsq	$_GLOBAL_OFFSET_TABLE_, %r11
	addq	$_GLOBAL_OFFSET_TABLE_, %rbx
	movl	$_GLOBAL_OFFSET_TABLE_, %ebx
	ret
	.size	g, .-g
	.data
	.long	sym@GOT
	.long	sym@GOT+4
	.long	(sym@GOT)
	.long	sym@GOT - .
	.quad	sym@GOT
	.quad	sym@GOT+0x100000000
	.quad	sym@GOTOFF
	.quad	loc@GOTOFF
	.quad	sym@GOTPLT
	.quad	sym@PLTOFF
	.long	sym@PLT
	.long	sym@PLT+4
	.long	4+sym@PLT
	.long	sym@SIZE
	.long	sym@SIZE - .
	.quad	sym@SIZE
	.long	_GLOBAL_OFFSET_TABLE_
	.quad	_GLOBAL_OFFSET_TABLE_
	.quad	_GLOBAL_OFFSET_TABLE_ - .
loc:
	.quad	0
