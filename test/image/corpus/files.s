# .file and .ident: the first .file goes to the head of the symbol table, later ones stay where
# they come; .ident strings go to .comment (flags MS, entry size 1) after a leading NUL, in
# order, repeats kept.
	.text
	.globl	early
early:
	call	.text
	.file	"first.c"
	.ident	"GCC: (pvopc) 1"
local_fn:
	ret
	.file	"first.c"
	.file	"second\101\t.c"
	.section .rodata,"a"
	.quad	local_fn
	.ident	"GCC: (pvopc) 2", "extra"
	.ident	"GCC: (pvopc) 1"
	.file	""
after:
	.byte	1
