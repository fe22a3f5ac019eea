# Call frame information: every rule directive, with the register spellings as accepts.
	.text
	.globl	f
	.type	f, @function
f:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq	%rbx
	pushq	%r12
	.cfi_offset rbx, -24
	.cfi_offset 12, -32
	.cfi_rel_offset %r13, 8
	.cfi_val_offset %r14, -40
	.cfi_val_offset %r15, 16
	.cfi_register %rip, %r11
	.cfi_undefined %rax, %rdx, %xmm0
	.cfi_same_value %st(1)
	.cfi_restore %rbx, %k1
	.cfi_offset %xmm31, -64
	.cfi_offset %mxcsr, 8
	.cfi_restore %mxcsr
	.cfi_window_save
	nop
	.cfi_remember_state
	.cfi_adjust_cfa_offset 8
	.cfi_def_cfa %rsp, 24
	.cfi_def_cfa_offset -8
	.cfi_def_cfa %rsp, -16
	.cfi_def_cfa_offset 200
	.cfi_def_cfa %r10, 0x12345
	.cfi_restore_state
	popq	%r12
	popq	%rbx
	leave
	.cfi_def_cfa 7, 8
	ret
	.cfi_endproc
	.size	f, .-f

	.globl	g
	.type	g, @function
g:
	.cfi_startproc
	ret
	.cfi_endproc
	.size	g, .-g

# Rules before any code go to the CIE when a new one is made.
h:
	.cfi_startproc
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	push	%rbp
	.cfi_escape 0x2e, 0x10
	pop	%rbp
	.cfi_escape 0x10, 0x06, 0x02, 0x76, 0x00
	ret
	.cfi_endproc

# The same initial rules share that CIE; more than the CIE has stay in the FDE.
i:
	.cfi_startproc
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	.cfi_offset %rbx, -24
	ret
	.cfi_endproc

# Fewer rules than the newest CIE: an older one fits.
j:
	.cfi_startproc
	.cfi_def_cfa_offset 16
	nop
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc

k:
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 8
	nop
	.cfi_signal_frame
	nop
	.cfi_endproc

l:
	.cfi_startproc
	nop
	.cfi_return_column 17
	ret
	.cfi_endproc

# An alignment between .cfi_startproc and the first rule starts a new fragment in as, even when
# it pads nothing, and the rule is no longer one a CIE can take; an alignment of 1 does not.
m:
	.cfi_startproc
	.p2align 1
	.cfi_def_cfa_offset 16
	ret
	.cfi_endproc
n:
	.cfi_startproc
	.balign 1
	.cfi_def_cfa_offset 16
	ret
	.cfi_endproc
