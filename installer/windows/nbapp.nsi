; NSIS installer for an app built by `nbapp package` (PyInstaller one-folder app).
;
; Per-user install (no administrator rights): the app goes to %LOCALAPPDATA%\Programs\NAME,
; a Start-menu shortcut and an entry in "Apps & features" point at it, and Uninstall.exe
; removes all three. Compile on Windows or Linux (Debian's `nsis` package):
;
;   makensis -DNAME=MyApp -DVERSION=1.0.0 -DAPP_DIR=dist\MyApp -DOUT_FILE=MyApp-1.0.0-setup.exe
;            [-DICON=myapp.ico] [-DSIGN_COMMAND="signtool sign /a /fd sha256 /tr URL /td sha256"]
;            [-DVI_VERSION=1.0.0.0] [-DTARGET=amd64-unicode]
;            nbapp.nsi
;
; SIGN_COMMAND (optional, off by default) is run by makensis on the installer and on the
; uninstaller it embeds, with the file's path appended; sign the app's NAME.exe before this.

Unicode true
ManifestDPIAware true
!ifdef TARGET
  ; e.g. amd64-unicode, where this NSIS has those stubs (Debian's does; the Windows build: x86)
  Target ${TARGET}
!endif

!ifndef NAME | VERSION | APP_DIR | OUT_FILE
  !error "define NAME, VERSION, APP_DIR and OUT_FILE (-DNAME=... on the makensis command line)"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${NAME}"

Name "${NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\${NAME}"
RequestExecutionLevel user
SetCompressor /SOLID lzma
!ifndef VI_VERSION
  !define VI_VERSION "0.0.0.0"  ; four numbers, as Windows' file properties want them
!endif
VIProductVersion "${VI_VERSION}"
VIFileVersion "${VI_VERSION}"
VIAddVersionKey "ProductName" "${NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${NAME} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "${NAME}"

!ifdef SIGN_COMMAND
  !finalize '${SIGN_COMMAND} "%1"'
  !uninstfinalize '${SIGN_COMMAND} "%1"'
!endif

!include "MUI2.nsh"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_FINISHPAGE_RUN "$INSTDIR\${NAME}.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${NAME}"

!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Install"
  ; A fixed folder of its own, so the uninstaller may remove it whole.
  SetOutPath "$INSTDIR"
  File /r "${APP_DIR}\*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\${NAME}.exe" "" "$INSTDIR\${NAME}.exe" 0
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${NAME}.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${NAME}.lnk"
  RMDir /r "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
