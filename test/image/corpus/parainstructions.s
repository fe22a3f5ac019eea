# Linux-style paravirt call sites, their .parainstructions records and a callee-save thunk.
	.text
	.globl	native_irq_disable
native_irq_disable:
	cli
	ret

	.globl	__raw_callee_save_xen_save_fl
	.type	__raw_callee_save_xen_save_fl, @function
__raw_callee_save_xen_save_fl:
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	call	xen_save_fl
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	ret
	.size	__raw_callee_save_xen_save_fl, .-__raw_callee_save_xen_save_fl

	.globl	caller
caller:
771:	call	*pv_ops+8(%rip)
772:
	.pushsection .parainstructions,"a"
	.p2align 3
	.quad	771b
	.byte	1
	.byte	772b-771b
	.short	0x1ff
	.popsection
773:	call	*pv_ops+16(%rip)
774:
	.pushsection .parainstructions,"a"
	.p2align 3
	.quad	773b
	.byte	2
	.byte	774b-773b
	.short	0x1
	.popsection
	ret

	.data
	.p2align 3
	.globl	pv_ops
pv_ops:
	.quad	native_irq_disable
	.quad	__raw_callee_save_xen_save_fl
	.quad	0
