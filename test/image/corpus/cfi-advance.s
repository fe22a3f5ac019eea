# Advances chosen from the final code addresses: after relaxation, across .skip and .fill,
# and for frames in two sections at once.
	.text
big:
	.cfi_startproc
	.fill 0x3f, 1, 0x90
	.cfi_def_cfa_offset 16
	.skip 0x40, 0x90
	.cfi_def_cfa_offset 24
	.skip 0xff, 0x90
	.cfi_def_cfa_offset 32
	.skip 0x100, 0x90
	.cfi_def_cfa_offset 40
	.skip 0xffff, 0x90
	.cfi_def_cfa_offset 48
	.skip 0x10000, 0x90
	.cfi_def_cfa_offset 56
	.p2align 4
	.cfi_def_cfa_offset 64
	ret
	.cfi_endproc

relaxed:
	.cfi_startproc
	jmp	.Lfar
	.cfi_def_cfa_offset 16
	.skip 200, 0x90
	.cfi_remember_state
	.cfi_def_cfa_offset 24
.Lfar:
	jne	.Lnear
	.cfi_restore_state
	nop
.Lnear:
	jmp	.Lfar
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc

	.globl	hot
hot:
	.cfi_startproc
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
	testl	%edi, %edi
	je	.Lcold_entry
	popq	%rbx
	.cfi_remember_state
	.cfi_def_cfa_offset 8
	ret
	.section	.text.unlikely,"ax",@progbits
	.cfi_startproc
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
hot.cold:
.Lcold_entry:
	call	abort@PLT
	.cfi_endproc
	.text
	.cfi_restore_state
	.cfi_endproc

	.section	.text.unlikely
cold:
	.cfi_startproc
	.cfi_adjust_cfa_offset 8
	.cfi_escape 0x2e, 0x08
	ud2
	.cfi_endproc
