#include <windows.h>
/* Wine 8.0 has no bcryptprimitives.dll; Go's runtime (1.22+) takes its
   random bytes from ProcessPrng there. This stands in for it, through the
   RtlGenRandom that Wine 8.0 has. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG len);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
