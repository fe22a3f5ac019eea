# Every relocation kind pvopc models, against globals, locals in other sections and undefined symbols.
	.text
	.globl	f
f:
	call	far_local@PLT
	call	undef_fn@PLT
	jmp	undef_fn
	movq	$undef_obj, %rax
	movl	$undef_obj, %eax
	movq	$far_local-8, %rcx
	movq	undef_obj@GOTPCREL(%rip), %rax
	movq	far_local@GOTPCREL(%rip), %rdx
	call	*undef_fn@GOTPCREL(%rip)
	movl	undef_obj(%rip), %eax
	leaq	f(%rip), %rax
	ret

	.section .rodata,"a"
	.p2align 3
	.quad	far_local
	.quad	undef_obj-16
	.quad	far_local - .
	.quad	undef_obj - .
	.long	far_local - .
	.long	undef_obj
	.long	f

	.section .text.other,"ax",@progbits
	nop
far_local:
	ret

# 8- and 16-bit fields: PC-relative ones reach a neighbouring section, absolute ones a
# symbol the link defines below 256.
	.section .text.more,"ax",@progbits
	.word	far_local - .
	.word	undef_small
	.word	undef_small+0x100
	.byte	far_local - .
	.byte	undef_small
	.byte	undef_small+1
