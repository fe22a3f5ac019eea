/* Kernel-flavoured C for `gcc -S` output: arrays, strings, a switch table, function pointers,
 * static locals, section attributes and inline asm that pushes a section. */
typedef unsigned long u64;
typedef unsigned int u32;

struct ops {
	int (*open)(int);
	void (*close)(int);
	const char *name;
};

static int dev_open(int fd) { return fd + 1; }
static void dev_close(int fd) { (void)fd; }

const struct ops dev_ops = { dev_open, dev_close, "dev" };
struct ops *current_ops;

static u64 counters[64];
static char scratch[16] __attribute__((aligned(16)));
u32 table[8] = { 1, 2, 3, 5, 8, 13, 21, 34 };
int zeroed[4];
static const char banner[] = "pvopc kernel test\n";

int __attribute__((section(".init.text"))) early_init(void) { return 42; }
static int init_flag __attribute__((section(".init.data"))) = 1;
static void (*initcall)(int) __attribute__((used, section(".initcall6.init"))) = dev_close;

const char *kind_name(int kind)
{
	switch (kind) {
	case 0: return "zero";
	case 1: return "one";
	case 2: return "two";
	case 3: return "three";
	case 4: return "four";
	case 5: return "five";
	case 6: return "six";
	default: return "many";
	}
}

int dispatch(int op, int a, int b)
{
	switch (op) {
	case 10: return a + b;
	case 11: return a - b;
	case 12: return a * b;
	case 13: return b ? a / b : 0;
	case 14: return a & b;
	case 15: return a | b;
	case 16: return a ^ b;
	case 17: return a << (b & 31);
	default: return -1;
	}
}

u64 count(int i)
{
	static u64 calls;
	calls++;
	counters[i & 63] += calls;
	return counters[i & 63];
}

static inline u64 read_flags(void)
{
	u64 flags;
	asm volatile("1: pushfq; popq %0\n"
		     ".pushsection .discard.annotate, \"a\"\n"
		     ".quad 1b\n"
		     ".popsection" : "=r"(flags) : : "memory");
	return flags;
}

u64 flags_and_more(const char *s)
{
	u64 h = read_flags();
	while (*s)
		h = h * 31 + (unsigned char)*s++;
	scratch[h & 15] = (char)h;
	return h + init_flag + (u64)initcall;
}

int call_through(int fd)
{
	const struct ops *ops = current_ops ? current_ops : &dev_ops;
	int r = ops->open(fd);
	ops->close(fd);
	return r + (int)sizeof(banner) + banner[r & 7];
}

int sum_table(void)
{
	int s = 0;
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		s += table[i] + zeroed[i & 3];
	return s + early_init();
}
