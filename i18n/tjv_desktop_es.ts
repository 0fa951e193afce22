<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES" sourcelanguage="en">
<context>
    <name>AlarmAudio</name>
    <message>
        <location filename="../tjv_desktop/ui/audio.py" line="+54"/>
        <source>Qt Multimedia is not installed</source>
        <translation>Qt Multimedia no está instalado</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No audio output device</source>
        <translation>No hay dispositivo de salida de audio</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The audio device does not support 16-bit mono output</source>
        <translation>El dispositivo de audio no admite salida mono de 16 bits</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The sound output stopped; trying again</source>
        <translation>La salida de sonido se detuvo; reintentando</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The alarm sound player did not start</source>
        <translation>El reproductor de sonidos de alarma no se inició</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The alarm sound cannot be played</source>
        <translation>No se puede reproducir el sonido de alarma</translation>
    </message>
</context>
<context>
    <name>AlarmBar</name>
    <message>
        <source>Whole ward</source>
        <translation>Toda la planta</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/alarm_bar.py" line="+60"/>
        <source>Alarm bar</source>
        <translation>Barra de alarmas</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Most urgent alarm</source>
        <translation>Alarma más urgente</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alarm priority</source>
        <translation>Prioridad de la alarma</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alarm message</source>
        <translation>Mensaje de la alarma</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Time since the alarm started</source>
        <translation>Tiempo desde el inicio de la alarma</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Alarm count</source>
        <translation>Número de alarmas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alarm inactivation state</source>
        <translation>Estado de inactivación de alarmas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Technical alarm</source>
        <translation>Alarma técnica</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio status</source>
        <translation>Estado del audio</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+189"/>
        <source>Audio pause</source>
        <translation>Pausa de audio</translation>
    </message>
    <message>
        <location line="-188"/>
        <location line="+189"/>
        <source>Alarm pause</source>
        <translation>Pausa de alarma</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Audio unavailable</source>
        <translation>Audio no disponible</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>HIGH</source>
        <translation>ALTA</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>MEDIUM</source>
        <translation>MEDIA</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LOW</source>
        <translation>BAJA</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Server connection lost: new alarms may not arrive</source>
        <translation>Conexión con el servidor perdida: pueden no llegar alarmas nuevas</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No new data: alarms may be out of date</source>
        <translation>Sin datos nuevos: las alarmas pueden estar desactualizadas</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Unknown patient</source>
        <translation>Paciente desconocido</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>({value}, limit&#xa0;{limit})</source>
        <translation>({value}, límite&#xa0;{limit})</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>[{state}]</source>
        <translation>[{state}]</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>acknowledged</source>
        <translation>reconocida</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>accepted</source>
        <translation>aceptada</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>[rejected: needs an owner]</source>
        <translation>[rechazada: necesita un responsable]</translation>
    </message>
    <message>
        <location line="+9"/>
        <location line="+2"/>
        <source>No active alarms</source>
        <translation>Sin alarmas activas</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+61"/>
        <source>for {time}</source>
        <translation>desde hace {time}</translation>
    </message>
    <message>
        <location line="-49"/>
        <source>+{n} ack</source>
        <translation>+{n} recon.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{priority}: {waiting} waiting, {responded} acknowledged</source>
        <translation>{priority}: {waiting} en espera, {responded} reconocidas</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{priority} priority alarms</source>
        <translation>Alarmas de prioridad {priority}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{waiting} waiting, {responded} acknowledged</source>
        <translation>{waiting} en espera, {responded} reconocidas</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>AUDIO PAUSED {time}</source>
        <translation>AUDIO EN PAUSA {time}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ALARM PAUSED {time}</source>
        <translation>ALARMA EN PAUSA {time}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Resume audio</source>
        <translation>Reanudar audio</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Resume alarms</source>
        <translation>Reanudar alarmas</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Shortcut {key}</source>
        <translation>Atajo {key}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>NO CONNECTION</source>
        <translation>SIN CONEXIÓN</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>DATA STALE</source>
        <translation>DATOS DESACTUALIZADOS</translation>
    </message>
</context>
<context>
    <name>AnnouncementBanner</name>
    <message>
        <location filename="../tjv_desktop/ui/announcements.py" line="+48"/>
        <source>Dismiss announcement</source>
        <translation>Descartar aviso</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>URGENT ANNOUNCEMENT</source>
        <translation>AVISO URGENTE</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ANNOUNCEMENT</source>
        <translation>AVISO</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> from {name}</source>
        <translation> de {name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> ({n} more waiting)</source>
        <translation> ({n} más en espera)</translation>
    </message>
</context>
<context>
    <name>CareTeamPanel</name>
    <message>
        <location filename="../tjv_desktop/ui/care_team_panel.py" line="+24"/>
        <source>Care team online</source>
        <translation>Equipo asistencial conectado</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Colleagues online</source>
        <translation>Colegas conectados</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Care team: not known while offline</source>
        <translation>Equipo asistencial: desconocido sin conexión</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Care team online: {n} people, {w} workstations</source>
        <translation>Equipo conectado: {n} personas, {w} puestos</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{name} ({role}) · {workstation} · since {since}</source>
        <translation>{name} ({role}) · {workstation} · desde {since}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source> · you</source>
        <translation> · usted</translation>
    </message>
    <message>
        <location line="+2"/>
        <source> · locked</source>
        <translation> · bloqueado</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/i18n.py" line="+231"/>
        <source>clinician</source>
        <translation>clínico</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>coordinator</source>
        <translation>coordinador</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>admin</source>
        <translation>administrador</translation>
    </message>
</context>
<context>
    <name>HandoffDialog</name>
    <message>
        <source>Set by this station&apos;s machine policy.</source>
        <translation>Lo fija la directiva de equipo de este puesto.</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/handoff_dialog.py" line="+41"/>
        <location line="+1"/>
        <location line="+64"/>
        <source>Handoff report</source>
        <translation>Informe de relevo</translation>
    </message>
    <message>
        <location line="-59"/>
        <source> h</source>
        <translation> h</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Length of the shift</source>
        <translation>Duración del turno</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Name and MRN</source>
        <translation>Nombre y NHC</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Initials and last MRN digits</source>
        <translation>Iniciales y últimos dígitos del NHC</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Patient identifiers</source>
        <translation>Identificadores del paciente</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Shift:</source>
        <translation>Turno:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Identifiers:</source>
        <translation>Identificadores:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Report preview</source>
        <translation>Vista previa del informe</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save as PDF…</source>
        <translation>Guardar como PDF…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Print…</source>
        <translation>Imprimir…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Close</source>
        <translation>Cerrar</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Saved {n} patients to {path}</source>
        <translation>Guardados {n} pacientes en {path}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Sent {n} patients to the printer</source>
        <translation>Enviados {n} pacientes a la impresora</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Save the handoff report</source>
        <translation>Guardar el informe de relevo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PDF files (*.pdf)</source>
        <translation>Archivos PDF (*.pdf)</translation>
    </message>
</context>
<context>
    <name>HealthLauncher</name>
    <message>
        <location filename="../tjv_desktop/ui/health_panel.py" line="+293"/>
        <location line="+4"/>
        <source>Connection health</source>
        <translation>Estado de la conexión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connection health (Ctrl+Shift+H)</source>
        <translation>Estado de la conexión (Ctrl+Mayús+H)</translation>
    </message>
</context>
<context>
    <name>HealthPanel</name>
    <message>
        <location line="-219"/>
        <source>Connection health — TJV Desktop</source>
        <translation>Estado de la conexión — TJV Desktop</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connection health</source>
        <translation>Estado de la conexión</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Connection state</source>
        <translation>Estado de la conexión en tiempo real</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Probe round trip</source>
        <translation>Ida y vuelta de la sonda</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Messages</source>
        <translation>Mensajes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue depth</source>
        <translation>Cola pendiente</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reconnects</source>
        <translation>Reconexiones</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last resync</source>
        <translation>Última resincronización</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last probe answer</source>
        <translation>Última respuesta de la sonda</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Round trip and message rate charts</source>
        <translation>Gráficas de ida y vuelta y de mensajes</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Probe round trip (ms)</source>
        <translation>Ida y vuelta de la sonda (ms)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Messages per second: in (white), out (orange)</source>
        <translation>Mensajes por segundo: entrada (blanco), salida (naranja)</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Recent realtime events (patient identifiers replaced by pseudonyms)</source>
        <translation>Eventos recientes en tiempo real (identificadores de pacientes sustituidos por seudónimos)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Recent realtime events</source>
        <translation>Eventos recientes en tiempo real</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Export snapshot…</source>
        <translation>Exportar instantánea…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export a health snapshot to a file</source>
        <translation>Exportar una instantánea del estado a un archivo</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close</source>
        <translation>Cerrar</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Export result</source>
        <translation>Resultado de la exportación</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>p50 {p50} · p95 {p95} · p99 {p99} ({n} probes)</source>
        <translation>p50 {p50} · p95 {p95} · p99 {p99} ({n} sondas)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>in {i}/s · out {o}/s</source>
        <translation>entrada {i}/s · salida {o}/s</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+4"/>
        <source>none yet</source>
        <translation>ninguna todavía</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>{age} ago · {rows} rows · {ms}</source>
        <translation>hace {age} · {rows} filas · {ms}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{age} ago</source>
        <translation>hace {age}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Connected</source>
        <translation>Conectado</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Connecting</source>
        <translation>Conectando</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reconnecting</source>
        <translation>Reconectando</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Connection lost</source>
        <translation>Conexión perdida</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stopped</source>
        <translation>Detenido</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{symbol} {state} for {age}</source>
        <translation>{symbol} {state} desde hace {age}</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>Export health snapshot</source>
        <translation>Exportar instantánea del estado</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON files (*.json)</source>
        <translation>Archivos JSON (*.json)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Not saved: {error}</source>
        <translation>No guardado: {error}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Saved to {path}</source>
        <translation>Guardado en {path}</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <location filename="../tjv_desktop/ui/lock_screen.py" line="+79"/>
        <location line="+4"/>
        <source>Screen locked</source>
        <translation>Pantalla bloqueada</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Screen locked — patient details are hidden</source>
        <translation>Pantalla bloqueada — pacientes ocultos</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Alarms stay live and audible in the bar above. To see patients and respond to alarms, unlock with the password of {user}.</source>
        <translation>Las alarmas siguen activas y audibles en la barra superior. Para ver a los pacientes y responder a las alarmas, desbloquee con la contraseña de {user}.</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+89"/>
        <source>the signed-in user</source>
        <translation>el usuario con la sesión iniciada</translation>
    </message>
    <message>
        <location line="-82"/>
        <source>Password:</source>
        <translation>Contraseña:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Password of {user}</source>
        <translation>Contraseña de {user}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Type your password, then press Enter</source>
        <translation>Escriba su contraseña y pulse Intro</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+2"/>
        <source>Unlock</source>
        <translation>Desbloquear</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Switch user…</source>
        <translation>Cambiar de usuario…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Switch user</source>
        <translation>Cambiar de usuario</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Someone else taking over this workstation?</source>
        <translation>¿Otra persona va a usar este puesto?</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Unlock message</source>
        <translation>Mensaje de desbloqueo</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Locked after inactivity at {time}.</source>
        <translation>Bloqueada por inactividad a las {time}.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Type your password first.</source>
        <translation>Escriba primero su contraseña.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Checking the password…</source>
        <translation>Comprobando la contraseña…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Switching user ends the session of {user} on this workstation; the next user signs in with their own password.</source>
        <translation>Al cambiar de usuario se cierra la sesión de {user} en este puesto; el siguiente usuario inicia sesión con su propia contraseña.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Wrong password — the screen stays locked. Try again.</source>
        <translation>Contraseña incorrecta — la pantalla sigue bloqueada. Inténtelo de nuevo.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>☾ Night view</source>
        <translation>☾ Vista nocturna</translation>
    </message>
    <message>
        <source>Night view</source>
        <translation>Vista nocturna</translation>
    </message>
    <message>
        <source>Dimmed colours for the night; alarm colours stay at full strength ({shortcut})</source>
        <translation>Colores atenuados para la noche; los colores de alarma se mantienen a plena intensidad ({shortcut})</translation>
    </message>
    <message>
        <source>The look of this station is set by its machine policy.</source>
        <translation>El aspecto de este puesto lo fija su directiva de equipo.</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/i18n.py" line="-127"/>
        <source>Collaboration</source>
        <translation>Colaboración</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TJV Desktop — patient monitoring</source>
        <translation>TJV Desktop — monitorización de pacientes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alarm bar</source>
        <translation>Barra de alarmas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Patient census</source>
        <translation>Censo de pacientes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Find patient by name (Ctrl+F)</source>
        <translation>Buscar paciente por nombre (Ctrl+F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Find patient by name</source>
        <translation>Buscar paciente por nombre</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Active alerts</source>
        <translation>Alertas activas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alert history</source>
        <translation>Historial de alertas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Acknowledge (A / Ctrl+K)</source>
        <translation>Reconocer (A / Ctrl+K)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accept responsibility (Ctrl+Shift+T)</source>
        <translation>Aceptar responsabilidad (Ctrl+Mayús+T)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reject responsibility… (Ctrl+Shift+R)</source>
        <translation>Rechazar responsabilidad… (Ctrl+Mayús+R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show history</source>
        <translation>Mostrar historial</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show alert history</source>
        <translation>Mostrar historial de alertas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connection and data age</source>
        <translation>Conexión y antigüedad de los datos</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reject responsibility</source>
        <translation>Rechazar responsabilidad</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Why are you rejecting responsibility for this alert?</source>
        <translation>¿Por qué rechaza la responsabilidad de esta alerta?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>● Live: connected to the server</source>
        <translation>● En directo: conectado al servidor</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>connecting</source>
        <translation>conectando</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>reconnecting</source>
        <translation>reconectando</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>connection lost</source>
        <translation>conexión perdida</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>offline</source>
        <translation>sin conexión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>▲ Data {age} old — offline ({state})</source>
        <translation>▲ Antigüedad de los datos: {age} — sin conexión ({state})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>of unknown age</source>
        <translation>desconocida</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{shown} of {total} patients</source>
        <translation>{shown} de {total} pacientes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{title}: {n} ({u} awaiting response)</source>
        <translation>{title}: {n} ({u} sin respuesta)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not my patient</source>
        <translation>No es mi paciente</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Handed over to another clinician</source>
        <translation>Transferido a otro profesional sanitario</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Already being handled</source>
        <translation>Ya se está atendiendo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alert not clinically relevant</source>
        <translation>Alerta sin relevancia clínica</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duplicate alert</source>
        <translation>Alerta duplicada</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>Care team</source>
        <translation>Equipo asistencial</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Handoff report…</source>
        <translation>Informe de relevo…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Metrics…</source>
        <translation>Métricas…</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/main_window.py" line="+472"/>
        <source>This workstation cannot check passwords; use Switch user.</source>
        <translation>Este puesto no puede comprobar contraseñas; use Cambiar de usuario.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The password could not be checked: the server is not reachable. The screen stays locked; try again.</source>
        <translation>No se pudo comprobar la contraseña: el servidor no responde. La pantalla sigue bloqueada; inténtelo de nuevo.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The password could not be checked. The screen stays locked.</source>
        <translation>No se pudo comprobar la contraseña. La pantalla sigue bloqueada.</translation>
    </message>
</context>
<context>
    <name>MetricsView</name>
    <message>
        <location filename="../tjv_desktop/ui/metrics_view.py" line="+40"/>
        <location line="+1"/>
        <source>Tenant metrics</source>
        <translation>Métricas del centro</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>This shift (12 h)</source>
        <translation>Este turno (12 h)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last 7 days</source>
        <translation>Últimos 7 días</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Metrics charts</source>
        <translation>Gráficos de métricas</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Alerts raised</source>
        <translation>Alertas generadas</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Time to acknowledge</source>
        <translation>Tiempo hasta el reconocimiento</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Escalations</source>
        <translation>Escalados</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Stations online</source>
        <translation>Puestos conectados</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Patients with stale data</source>
        <translation>Pacientes sin datos recientes</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Time to acknowledge: p90 (white), median (blue) (min)</source>
        <translation>Tiempo hasta reconocer: p90 (blanco), mediana (azul) (min)</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>limit</source>
        <translation>límite</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Updated {time}</source>
        <translation>Actualizado {time}</translation>
    </message>
</context>
<context>
    <name>PatientDetail</name>
    <message>
        <source>Operation and data age</source>
        <translation>Operación y antigüedad de los datos</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/i18n.py" line="-40"/>
        <source>left</source>
        <translation>izquierda</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>right</source>
        <translation>derecha</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>bilateral</source>
        <translation>bilateral</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Heart rate</source>
        <translation>Frecuencia cardiaca</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SpO₂</source>
        <translation>SpO₂</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Respiratory rate</source>
        <translation>Frecuencia respiratoria</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Temperature</source>
        <translation>Temperatura</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Blood pressure</source>
        <translation>Presión arterial</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pain</source>
        <translation>Dolor</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stable</source>
        <translation>estable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>watch</source>
        <translation>en vigilancia</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deteriorating</source>
        <translation>empeorando</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>critical</source>
        <translation>crítico</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>offline</source>
        <translation>sin conexión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>desconocido</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>active</source>
        <translation>activa</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>acknowledged</source>
        <translation>reconocida</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>accepted</source>
        <translation>aceptada</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rejected</source>
        <translation>rechazada</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>resolved</source>
        <translation>resuelta</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>completed</source>
        <translation>completado</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>patient</source>
        <translation>paciente</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>provider</source>
        <translation>profesional sanitario</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>system</source>
        <translation>sistema</translation>
    </message>
    <message>
        <location filename="../tjv_desktop/ui/patient_detail.py" line="+70"/>
        <source>Patient detail</source>
        <translation>Detalle del paciente</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Select a patient in the census to see their vitals.</source>
        <translation>Seleccione un paciente del censo para ver sus constantes vitales.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Patient summary</source>
        <translation>Resumen del paciente</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Show last:</source>
        <translation>Mostrar últimas:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{n} h</source>
        <translation>{n} h</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show the last {n} hours</source>
        <translation>Mostrar las últimas {n} horas</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Vital signs charts</source>
        <translation>Gráficas de constantes vitales</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Alerts of this patient</source>
        <translation>Alertas de este paciente</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+4"/>
        <location line="+88"/>
        <source>Messages</source>
        <translation>Mensajes</translation>
    </message>
    <message>
        <location line="-90"/>
        <location line="+3"/>
        <source>Care plan</source>
        <translation>Plan de cuidados</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Alerts</source>
        <translation>Alertas</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>post-operative day {n}</source>
        <translation>día postoperatorio {n}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>status: {s}</source>
        <translation>estado: {s}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>NEWS2 {n}</source>
        <translation>NEWS2 {n}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>vitals {age} old</source>
        <translation>constantes de hace {age}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>No messages.</source>
        <translation>Sin mensajes.</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>No care plan.</source>
        <translation>Sin plan de cuidados.</translation>
    </message>
</context>
<context>
    <name>ReplyBox</name>
    <message>
        <location filename="../tjv_desktop/ui/reply_box.py" line="+29"/>
        <source>Reply to the patient</source>
        <translation>Responder al paciente</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Write to the patient…</source>
        <translation>Escriba al paciente…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reply text</source>
        <translation>Texto de la respuesta</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quick replies</source>
        <translation>Respuestas rápidas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send</source>
        <translation>Enviar</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send the reply</source>
        <translation>Enviar la respuesta</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Quick replies…</source>
        <translation>Respuestas rápidas…</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Write something first.</source>
        <translation>Escriba algo primero.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Too long: {n} bytes, at most {max}.</source>
        <translation>Demasiado largo: {n} bytes, máximo {max}.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reply queued: sent now, or when the station is back online.</source>
        <translation>Respuesta en cola: se envía ahora o al recuperar la conexión.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>sending…</source>
        <translation>enviando…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>not sent: {error}</source>
        <translation>no enviado: {error}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>read</source>
        <translation>leído</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>delivered</source>
        <translation>entregado</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sent</source>
        <translation>enviado</translation>
    </message>
</context>
<context>
    <name>SessionView</name>
    <message>
        <location filename="../tjv_desktop/ui/sessions.py" line="+158"/>
        <source>Members of this session</source>
        <translation>Miembros de esta sesión</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>I lead (others follow me)</source>
        <translation>Dirijo yo (los demás me siguen)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Follow the leader</source>
        <translation>Seguir a quien dirige</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>— not set —</source>
        <translation>— sin indicar —</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stable</source>
        <translation>Estable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Watcher</source>
        <translation>En vigilancia</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unstable</source>
        <translation>Inestable</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+17"/>
        <source>Illness severity</source>
        <translation>Gravedad de la enfermedad</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>Patient summary</source>
        <translation>Resumen del paciente</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Situation awareness and contingency</source>
        <translation>Conciencia situacional y contingencias</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Synthesis by receiver</source>
        <translation>Síntesis de quien recibe</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+10"/>
        <source>Action list</source>
        <translation>Lista de acciones</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>New action, then Enter</source>
        <translation>Nueva acción y luego Intro</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New action</source>
        <translation>Nueva acción</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Leave session</source>
        <translation>Salir de la sesión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Close session for everyone</source>
        <translation>Cerrar la sesión para todos</translation>
    </message>
    <message>
        <source>Only the session&apos;s creator or a coordinator can close it.</source>
        <translation>Solo quien creó la sesión o un coordinador puede cerrarla.</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>End-to-end encrypted (key {kid}): the server cannot read this session.</source>
        <translation>Cifrado de extremo a extremo (clave {kid}): el servidor no puede leer esta sesión.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Not end-to-end encrypted: this tenant has no session key.</source>
        <translation>Sin cifrado de extremo a extremo: esta organización no tiene clave de sesión.</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>{action} — done</source>
        <translation>{action} — hecho</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>clinician</source>
        <translation>clínico</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>coordinator</source>
        <translation>coordinador</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>administrator</source>
        <translation>administrador</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>(you)</source>
        <translation>(usted)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>LEADING</source>
        <translation>DIRIGE</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>here since {time}</source>
        <translation>aquí desde las {time}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>looking at {patient}</source>
        <translation>mirando a {patient}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a patient not on your list</source>
        <translation>un paciente fuera de su lista</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{time}: {name} joined</source>
        <translation>{time}: {name} se unió</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{time}: {name} left</source>
        <translation>{time}: {name} salió</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Here now: {n}</source>
        <translation>Presentes: {n}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Joining…</source>
        <translation>Uniéndose…</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Connected: changes are shared live</source>
        <translation>Conectado: los cambios se comparten al instante</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>OFFLINE: your edits are kept and shared when the link is back</source>
        <translation>SIN CONEXIÓN: sus cambios se guardan y se comparten al volver la conexión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ACCESS REFUSED: you may not join this session</source>
        <translation>ACCESO DENEGADO: no puede unirse a esta sesión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CLOSED: this session has ended</source>
        <translation>CERRADA: esta sesión ha terminado</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{n} message(s) dropped: they could not be verified (see the log)</source>
        <translation>{n} mensaje(s) descartado(s): no se pudieron verificar (véase el registro)</translation>
    </message>
</context>
<context>
    <name>SessionsPanel</name>
    <message>
        <location line="+32"/>
        <location line="+3"/>
        <source>Open sessions</source>
        <translation>Sesiones abiertas</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Join</source>
        <translation>Unirse</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New session…</source>
        <translation>Nueva sesión…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Refresh</source>
        <translation>Actualizar</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Could not load the sessions: {error}</source>
        <translation>No se pudieron cargar las sesiones: {error}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No open session. Start one with “New session…”.</source>
        <translation>No hay sesiones abiertas. Inicie una con «Nueva sesión…».</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Could not join: {error}</source>
        <translation>No se pudo unir: {error}</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>The session could not be closed; it stays open.</source>
        <translation>No se pudo cerrar la sesión; sigue abierta.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>New session</source>
        <translation>Nueva sesión</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Title of the session:</source>
        <translation>Título de la sesión:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Handoff</source>
        <translation>Relevo</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Could not start the session: {error}</source>
        <translation>No se pudo iniciar la sesión: {error}</translation>
    </message>
</context>
<context>
    <name>SignInWindow</name>
    <message>
        <location filename="../tjv_desktop/ui/sign_in.py" line="+32"/>
        <source>TJV Desktop — sign in</source>
        <translation>TJV Desktop — iniciar sesión</translation>
    </message>
    <message>
        <location line="+8"/>
        <location line="+29"/>
        <location line="+2"/>
        <source>Sign in</source>
        <translation>Iniciar sesión</translation>
    </message>
    <message>
        <location line="-28"/>
        <source>TJV Desktop</source>
        <translation>TJV Desktop</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sign in to monitor your patients.</source>
        <translation>Inicie sesión para vigilar a sus pacientes.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Server:</source>
        <translation>Servidor:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Server address</source>
        <translation>Dirección del servidor</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Locked: set by your organisation&apos;s IT department</source>
        <translation>Bloqueado: fijado por el departamento de informática</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>from this workstation&apos;s settings</source>
        <translation>según la configuración de este puesto</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>E-mail address</source>
        <translation>Correo electrónico</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>name@hospital.org</source>
        <translation>nombre@hospital.org</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Password</source>
        <translation>Contraseña</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Type your password, then press Enter</source>
        <translation>Escriba su contraseña y pulse Intro</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Sign-in message</source>
        <translation>Mensaje de inicio de sesión</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Version {version}</source>
        <translation>Versión {version}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>E-mail:</source>
        <translation>Correo:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Password:</source>
        <translation>Contraseña:</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Type your e-mail address and your password.</source>
        <translation>Escriba su correo electrónico y su contraseña.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Signing in…</source>
        <translation>Iniciando sesión…</translation>
    </message>
</context>
<context>
    <name>StartupError</name>
    <message>
        <location filename="../tjv_desktop/ui/startup_error.py" line="+19"/>
        <source>TJV Desktop cannot start</source>
        <translation>TJV Desktop no puede iniciarse</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TJV Desktop cannot start: a setting is invalid.</source>
        <translation>TJV Desktop no puede iniciarse: un ajuste no es válido.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ask your IT service desk to correct this setting. The program stays closed until it is valid.</source>
        <translation>Pida a su servicio de informática que corrija este ajuste. El programa no se abrirá hasta que sea válido.</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <location filename="../tjv_desktop/ui/i18n.py" line="-106"/>
        <source>Local copy kept in memory only (no secure keyring)</source>
        <translation>Copia local solo en memoria (sin llavero seguro)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Local copy kept in memory only: the keyring failed ({reason})</source>
        <translation>Copia local solo en memoria: el llavero falló ({reason})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The local copy of patient data was damaged and set aside ({file}); reloading it from the server</source>
        <translation>La copia local de los datos de pacientes estaba dañada y se apartó ({file}); se vuelve a cargar desde el servidor</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Only one user is signed in here: unlock with the password, or close the window to end.</source>
        <translation>Aquí solo hay un usuario con sesión iniciada: desbloquee con la contraseña o cierre la ventana para terminar.</translation>
    </message>
</context>
<context>
    <name>handoff</name>
    <message>
        <location line="+130"/>
        <source>no vitals in this shift</source>
        <translation>sin constantes en este turno</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{trend} (now {now}, highest {max})</source>
        <translation>{trend} (ahora {now}, máximo {max})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no vitals</source>
        <translation>sin constantes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{age} ago</source>
        <translation>hace {age}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Handoff report</source>
        <translation>Informe de relevo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prepared by {author} on {when} · last {hours} h · {n} patients</source>
        <translation>Preparado por {author} el {when} · últimas {hours} h · {n} pacientes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{procedure} · post-operative day {pod} · status {status} · NEWS2 {news2}</source>
        <translation>{procedure} · día postoperatorio {pod} · estado {status} · NEWS2 {news2}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>NEWS2 over the shift</source>
        <translation>NEWS2 durante el turno</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Latest vitals</source>
        <translation>Últimas constantes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open alerts</source>
        <translation>Alertas abiertas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>none</source>
        <translation>ninguna</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unread messages ({n})</source>
        <translation>Mensajes sin leer ({n})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>I-PASS note</source>
        <translation>Nota I-PASS</translation>
    </message>
</context>
<context>
    <name>models</name>
    <message>
        <source>Whole ward</source>
        <translation>Toda la planta</translation>
    </message>
    <message>
        <location line="-108"/>
        <source>never</source>
        <translation>nunca</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n} s</source>
        <translation>{n} s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n} min</source>
        <translation>{n} min</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{h} h {m} min</source>
        <translation>{h} h {m} min</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n} days</source>
        <translation>{n} días</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> new</source>
        <translation> nuevas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> · POD {n}</source>
        <translation> · DPO {n}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n} open alerts, highest priority {p}</source>
        <translation>{n} alertas abiertas, prioridad máxima {p}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> (sending…)</source>
        <translation> (enviando…)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{t} ({age} ago)</source>
        <translation>{t} (hace {age})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Alarms</source>
        <translation>Alarmas</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Patient</source>
        <translation>Paciente</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Op · POD</source>
        <translation>Cir. · DPO</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>NEWS2</source>
        <translation>NEWS2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HR</source>
        <translation>FC</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SpO₂</source>
        <translation>SpO₂</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>RR</source>
        <translation>FR</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Temp</source>
        <translation>Tª</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>BP</source>
        <translation>PA</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pain</source>
        <translation>Dolor</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Vitals age</source>
        <translation>Constantes hace</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>Prioridad</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alert</source>
        <translation>Alerta</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Raised</source>
        <translation>Generada</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>Estado</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stable</source>
        <translation>estable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>watch</source>
        <translation>en vigilancia</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deteriorating</source>
        <translation>empeorando</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>critical</source>
        <translation>crítico</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>offline</source>
        <translation>sin conexión</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>desconocido</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>active</source>
        <translation>activa</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>acknowledged</source>
        <translation>reconocida</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>accepted</source>
        <translation>aceptada</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rejected</source>
        <translation>rechazada</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>resolved</source>
        <translation>resuelta</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>high</source>
        <translation>alta</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>medium</source>
        <translation>media</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>low</source>
        <translation>baja</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>left</source>
        <translation>izquierda</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>right</source>
        <translation>derecha</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>bilateral</source>
        <translation>bilateral</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Unread</source>
        <translation>Sin leer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>App</source>
        <translation>Aplicación</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>app online</source>
        <translation>app conectada</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>last seen {age} ago</source>
        <translation>vista hace {age}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Care team online: {names}</source>
        <translation>Equipo conectado: {names}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>None of this patient&apos;s other clinicians is online</source>
        <translation>Ningún otro clínico de este paciente está conectado</translation>
    </message>
</context>
<context>
    <name>startup</name>
    <message>
        <location line="-20"/>
        <source>Wrong e-mail or password. Check both and try again.</source>
        <translation>Correo o contraseña incorrectos. Revise ambos e inténtelo de nuevo.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The server could not be reached. Check the network connection and try again.</source>
        <translation>No se pudo contactar con el servidor. Revise la conexión de red e inténtelo de nuevo.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The server refused the sign-in: {reason}</source>
        <translation>El servidor rechazó el inicio de sesión: {reason}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{user} signed out. The next user signs in here.</source>
        <translation>{user} cerró la sesión. El siguiente usuario inicia sesión aquí.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your session ended ({reason}). Patients are not being monitored on this workstation until you sign in again.</source>
        <translation>Su sesión terminó ({reason}). Los pacientes no se vigilan en este puesto hasta que vuelva a iniciar sesión.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The monitoring station could not start: {reason}. Patients are not being monitored on this workstation. Try again, or call IT if this repeats.</source>
        <translation>La estación de monitorización no pudo iniciarse: {reason}. Los pacientes no se están monitorizando en este puesto. Inténtelo de nuevo o avise a informática si se repite.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{user} is not a clinician account: this application is for care teams.</source>
        <translation>{user} no es una cuenta clínica: esta aplicación es para equipos asistenciales.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>This workstation has no secure keyring: you will be asked for your password at every start, and the local copy of patient data is kept in memory only.</source>
        <translation>Este puesto no tiene un llavero seguro: se le pedirá la contraseña en cada inicio y la copia local de los datos de pacientes se guarda solo en memoria.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TJV Desktop cannot start</source>
        <translation>TJV Desktop no puede iniciarse</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The configuration of this workstation is not valid:</source>
        <translation>La configuración de este puesto no es válida:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ask your IT department to correct it.</source>
        <translation>Pida a su departamento de informática que la corrija.</translation>
    </message>
</context>
<context>
    <name>CollapsibleSessions</name>
    <message>
        <source>Collaboration</source>
        <translation>Colaboración</translation>
    </message>
    <message>
        <source>{n} open sessions</source>
        <translation>{n} sesiones abiertas</translation>
    </message>
    <message>
        <source>Hide the sessions</source>
        <translation>Ocultar las sesiones</translation>
    </message>
    <message>
        <source>Show the sessions</source>
        <translation>Mostrar las sesiones</translation>
    </message>
</context>
</TS>
