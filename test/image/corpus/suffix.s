# Names that end other names share string table bytes in as's output.
	.text
	.globl	next
	.globl	ext
	.globl	text
	.globl	t
	.globl	foo_ext
next:	nop
ext:	nop
text:	nop
t:	nop
foo_ext: nop
	call	context
	call	xt
	.section .my.rela.text,"a"
	.byte	1
	.section .x.text,"ax"
	nop
	.section .data.rel.ro,"aw"
	.quad	next
	.section .xrel.ro,"aw"
	.quad	next
