"""PyInstaller hook for pyogrio (none ships with pyinstaller-hooks-contrib yet).

pyogrio's wheel carries GDAL and PROJ data files next to the package
(``gdal_data``, ``proj_data``) and finds them relative to its own ``__file__``,
so copying them to the same place in the bundle is enough. Its tests stay out.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

datas = collect_data_files("pyogrio", excludes=["tests", "tests/**"])
binaries = collect_dynamic_libs("pyogrio")
hiddenimports = ["pyogrio._geometry", "pyogrio._io", "pyogrio._ogr", "pyogrio._vsi", "pyogrio._err"]
excludedimports = ["pyogrio.tests"]
