# Sections created before .text, forward references, section symbols, odd alignments, notes,
# commons, absolute symbols, weak symbols and visibilities.
	.section .early,"aw"
	.quad	late_label
	.quad	early_label
early_label:
	.byte	1
	.text
	.weak	weak_fn
	.hidden	hidden_fn
	.globl	hidden_fn
	.protected prot_fn
	.globl	prot_fn
	.internal int_fn
	.globl	int_fn
hidden_fn:
prot_fn:
int_fn:
weak_fn:
	call	late_label
	ret
	.section .late,"ax"
	nop
late_label:
	ret
	.section .page,"a"
	.p2align 12
	.byte	0x55
	.section .empty_aligned,"aw"
	.p2align 4
	.section .note.pvopc,"a",@note
	.p2align 2
	.long	4, 4, 1
	.string	"pvo"
	.long	0
	.section .init_array,"aw"
	.p2align 3
	.quad	weak_fn
	.bss
	.lcomm	small, 3
	.p2align 4
big:	.zero	100
	.comm	shared, 64, 32
	.set	answer, 42
	.globl	exported_abs
	.set	exported_abs, 0x1000
	.section .nonalloc,""
	.quad	early_label
	.section .text.unlikely,"ax",@progbits
	.quad	.early
	.quad	.late + 1
