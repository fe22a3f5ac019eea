/* Tentative definitions, which -fcommon makes common symbols (.comm) and static ones local
 * commons (.local + .comm); with -fno-common they go to .bss. */
int shared_counter;
long shared_buffer[32];
char shared_flag;
static int private_counter;
static char private_buffer[100];
static long private_table[4];

int touch(int i)
{
	shared_counter += i;
	shared_buffer[i & 31] = i;
	shared_flag = (char)i;
	private_counter++;
	private_buffer[i % 100] = (char)i;
	private_table[i & 3] += i;
	return private_counter + private_buffer[0] + (int)private_table[1];
}
