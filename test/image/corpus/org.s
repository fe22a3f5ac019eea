# .org: forward to an offset of the section or a label plus a constant, with and without fill,
# across relaxed branches and alignment, in .bss, and in a subsection.
	.text
start:	jmp	end
	.org	0x10
	nop
	.org	start + 0x20, 0xcc
	.p2align 4
	.org	. + 3, 0x1234
	.org	.
here:	.byte	1
	.org	here + 2
	jmp	start
	.org	0x100, 0x90
end:	ret
	.data
	.byte	1
	.org	8, 0xff
	.quad	start
	.bss
	.org	32
tail:	.zero	4
	.section .rodata,"a"
	.org	5, 'x
	.asciz	"y"
