# .cfi_sections: frames to .eh_frame, to both .eh_frame and .debug_frame, then to .debug_frame
# only; .cfi_label and .cfi_val_encoded_addr, whose labels and addresses land in the frame
# sections (a label in a frame written to both sections would be defined twice).
	.text
f:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	.cfi_label frame_label
	.cfi_val_encoded_addr %rbp, 0x1b, f
	.cfi_val_encoded_addr %rbx, 0, f
	.cfi_val_encoded_addr %r12, 0x3, g
	nop
	.cfi_negate_ra_state
	popq	%rbp
	.cfi_signal_frame
	ret
	.cfi_endproc

	.cfi_sections .eh_frame, .debug_frame
g:
	.cfi_startproc
	.cfi_personality 0x9b, personality
	.cfi_lsda 0x1b, .Llsda
	ret
	.cfi_endproc

	.cfi_sections .debug_frame
h:
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 8
	.cfi_return_column 17
	.skip 300
	.cfi_undefined %rip
	ret
	.cfi_endproc

	.data
	.quad	frame_label
	.globl	personality
personality:
	.quad	0
.Llsda:
	.byte	0xff, 0xff, 0x01, 0x00
