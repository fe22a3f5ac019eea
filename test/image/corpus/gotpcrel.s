# @GOTPCREL as as 2.40 (-mrelax-relocations=yes) relocates it: GOTPCRELX for a rip-relative
# call/jmp *, mov load, test, or add/or/adc/sbb/and/sub/xor/cmp load without a 0x66 prefix,
# REX_GOTPCRELX when such a load or test has a REX prefix, GOTPCREL for every other field.
# The relocation always names the symbol (local ones too) and brings in _GLOBAL_OFFSET_TABLE_.
	.text
f:
	movq	foo@GOTPCREL(%rip), %rax
	movl	foo@GOTPCREL(%rip), %eax
	movl	foo@GOTPCREL(%rip), %r8d
	movq	foo@gotpcrel(%rip), %r11
	call	*foo@GOTPCREL(%rip)
	jmp	*foo@GOTPCREL(%rip)
	callq	*bar@GOTPCREL(%rip)
	addq	foo@GOTPCREL(%rip), %rax
	orl	foo@GOTPCREL(%rip), %eax
	adcl	foo@GOTPCREL(%rip), %eax
	sbbl	foo@GOTPCREL(%rip), %eax
	andq	foo@GOTPCREL(%rip), %r11
	subl	foo@GOTPCREL(%rip), %eax
	xorl	foo@GOTPCREL(%rip), %eax
	cmpl	foo@GOTPCREL(%rip), %eax
	testq	%rax, foo@GOTPCREL(%rip)
	testl	%eax, foo@GOTPCREL(%rip)
	movw	foo@GOTPCREL(%rip), %ax
	data16 movl foo@GOTPCREL(%rip), %eax
	leaq	foo@GOTPCREL(%rip), %rax
	movq	foo@GOTPCREL+8(%rip), %rax
	movq	%fs:foo@GOTPCREL(%rip), %rax
	movq	foo@GOTPCREL(%rbx), %rax
	movq	foo@GOTPCREL(,%rax,8), %rax
	movq	foo@GOTPCREL, %rax
	movq	$foo@GOTPCREL, %rax
	addq	$foo@GOTPCREL, %rax
	pushq	foo@GOTPCREL(%rip)
	movq	%rax, foo@GOTPCREL(%rip)
	addl	%eax, foo@GOTPCREL(%rip)
	movb	foo@GOTPCREL(%rip), %al
	addl	$1, foo@GOTPCREL(%rip)
	call	foo@GOTPCREL
	movq	f@GOTPCREL(%rip), %rax
	movq	.Lx@GOTPCREL(%rip), %rax
	movq	far@GOTPCREL(%rip), %rax
	ret
	.data
	.long	foo@GOTPCREL
	.long	foo@GOTPCREL - .
	.long	foo@GOTPCREL - .Lx
.Lx:
	.long	0
	.section .text.far,"ax",@progbits
	nop
far:
	ret
