internal import CFITSIO
