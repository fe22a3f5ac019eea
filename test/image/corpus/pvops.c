/* A C rendition of a paravirt ops table with its users, for gcc -c objects. */
struct pv_irq_ops {
	unsigned long (*save_fl)(void);
	void (*restore_fl)(unsigned long);
	void (*irq_disable)(void);
	void (*irq_enable)(void);
};

extern unsigned long native_save_fl(void);
extern void native_restore_fl(unsigned long);
static void native_irq_disable(void) { __asm__ volatile("cli"); }
static void native_irq_enable(void) { __asm__ volatile("sti"); }

struct pv_irq_ops pv_irq_ops = {
	.save_fl = native_save_fl,
	.restore_fl = native_restore_fl,
	.irq_disable = native_irq_disable,
	.irq_enable = native_irq_enable,
};

static int nesting;
__attribute__((visibility("hidden"))) const char *const banner = "pvops";
int counters[16];

unsigned long local_irq_save(void)
{
	unsigned long flags = pv_irq_ops.save_fl();
	pv_irq_ops.irq_disable();
	nesting++;
	return flags;
}

void local_irq_restore(unsigned long flags)
{
	nesting--;
	counters[nesting & 15]++;
	pv_irq_ops.restore_fl(flags);
}

const char *describe(int which)
{
	switch (which) {
	case 0: return "native";
	case 1: return "xen";
	case 2: return "kvm";
	case 3: return banner;
	default: return "unknown";
	}
}
