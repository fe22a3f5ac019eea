# .comm in every form (st_value is the alignment, by default the size's up to 16, any number
# as given), .local then .comm (allocated in .bss after what .bss holds, with the alignment),
# .lcomm (aligned by size), and references to them.
	.text
	.globl	f
f:	movl	x(%rip), %eax
	movl	lc(%rip), %eax
	movl	hidden(%rip), %eax
	leaq	big+8(%rip), %rax
	ret
	.comm	x,4,4
	.comm	y,8
	.comm	z,100
	.comm	w,3
	.comm	zero,0
	.comm	odd,4,3
	.comm	big,4096,64
	.local	hidden
	.comm	hidden,16,16
	.lcomm	lc,12
	.lcomm	lc2,5
	.lcomm	one,1
	.lcomm	two,2
	.lcomm	lc3,40
	.local	hid2
	.comm	hid2,3
	.local	hid3
	.comm	hid3,8,0
	.comm	x,4,16
	.comm	x,4
	.hidden	y
	.bss
	.p2align 3
inbss:	.zero	9
	.data
	.quad	z, hid2 + 1, lc3
	.comm	late,24,8
	.local	s
	.comm	s,1,1
	.globl	lg
	.lcomm	lg,4
