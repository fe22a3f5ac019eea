# Subsections: numbered chunks of a section, appended after subsection 0 in order of number;
# .previous, .pushsection NAME, N and .section return to them as as does.
	.text
	nop
	.text 1
	.byte	1
	.section .text
	.byte	2
	.previous
	.byte	3
sub1:	.subsection 2
	.byte	4
	jmp	sub1
	.subsection 1
	.byte	5
	.data 2
	.byte	6
d2:	.quad	d2, sub1
	.text
	.byte	7
	.pushsection .data, 1
	.byte	8
	.popsection
	.byte	9
	.bss
	.lcomm	c, 4
	.bss 1
	.zero	3
	.bss 2
after:	.zero	1
	.text 3
	.p2align 4
	ret
