# CIEs differ by personality, LSDA encoding, signal frame and return column.
	.text
	.globl	throws
throws:
	.cfi_startproc
	.cfi_personality 0x9b,DW.ref.__gxx_personality_v0
	.cfi_lsda 0x1b,.LLSDA0
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
	call	work@PLT
	popq	%rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc

catches:
	.cfi_startproc
	.cfi_personality 0x9b,DW.ref.__gxx_personality_v0
	.cfi_lsda 0x1b,.LLSDA1
	ret
	.cfi_endproc

nolsda:
	.cfi_startproc
	.cfi_personality 0x9b,DW.ref.__gxx_personality_v0
	ret
	.cfi_endproc

other:
	.cfi_startproc
	.cfi_personality 0x3,my_personality
	.cfi_lsda 0x3,.LLSDA1
	ret
	.cfi_endproc

absolute:
	.cfi_startproc
	.cfi_personality 0x0,my_personality+8
	.cfi_lsda 0x0,.LLSDA1
	ret
	.cfi_endproc

omitted:
	.cfi_startproc
	.cfi_personality 0x9b,DW.ref.__gxx_personality_v0
	.cfi_personality 0xff
	.cfi_lsda 0x1b,.LLSDA1
	.cfi_lsda 0xff
	ret
	.cfi_endproc

signal:
	.cfi_startproc
	.cfi_signal_frame
	ret
	.cfi_endproc

column:
	.cfi_startproc
	.cfi_return_column %rax
	ret
	.cfi_endproc

plain:
	.cfi_startproc
	ret
	.cfi_endproc

	.section	.gcc_except_table,"a",@progbits
.LLSDA0:
	.byte	0xff
	.byte	0xff
	.byte	0x1
	.byte 0
.LLSDA1:
	.byte	0xff
	.byte	0xff
	.byte	0x1
	.byte	0

	.hidden	DW.ref.__gxx_personality_v0
	.weak	DW.ref.__gxx_personality_v0
	.section	.data.rel.local.DW.ref.__gxx_personality_v0,"aw",@progbits
	.align 8
	.type	DW.ref.__gxx_personality_v0, @object
	.size	DW.ref.__gxx_personality_v0, 8
DW.ref.__gxx_personality_v0:
	.quad	__gxx_personality_v0
