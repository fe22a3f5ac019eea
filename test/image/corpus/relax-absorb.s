# Branch relaxation: within one pass as visits the fragments in order, so when a branch grows
# and a later alignment absorbs the growth, branches after the alignment see the final
# addresses. The backward `jbe` at the end reaches its target with rel8 once the `.balign 8`
# has absorbed the growth of `ja c0f0` (rel8 to rel32); growing every out-of-range branch of
# the section at once would have taken rel32 for it too.
	.text
c0f0:
	.skip 1
	jl c0f0-1
	movq %rax, %rbx
	addq $8, %rsp
	leaq 8(%rsp), %rdi
	leaq 8(%rsp), %rdi
	call f
	leaq 8(%rsp), %rdi
	call f
	.skip 94
	.p2align 2,,0
	ja c0f0
c0f1:
	jbe c0f1+2
c0f1.L0:
	ja c0f1-5
	.balign 8
	.skip 117
	jbe c0f1.L0-2
