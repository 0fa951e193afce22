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
        <location filename="../tjv_desktop/ui/alarm_bar.py" line="+59"/>
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
        <location line="+188"/>
        <source>Audio pause</source>
        <translation>Pausa de audio</translation>
    </message>
    <message>
        <location line="-187"/>
        <location line="+188"/>
        <source>Alarm pause</source>
        <translation>Pausa de alarma</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Audio unavailable</source>
        <translation>Audio no disponible</translation>
    </message>
    <message>
        <location line="-88"/>
        <source>HIGH</source>
        <translation>ALTA</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>MEDIUM</source>
        <translation>MEDIA</translation>
    </message>
    <message>
        <location line="+0"/>
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
        <location line="+4"/>
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
        <location line="+2"/>
        <source>[rejected: needs an owner]</source>
        <translation>[rechazada: necesita un responsable]</translation>
    </message>
    <message>
        <location line="+6"/>
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
        <location filename="../tjv_desktop/ui/announcements.py" line="+43"/>
        <source>Dismiss announcement</source>
        <translation>Descartar aviso</translation>
    </message>
    <message>
        <location line="+28"/>
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
    <name>HealthLauncher</name>
    <message>
        <location filename="../tjv_desktop/ui/health_panel.py" line="+292"/>
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
        <location filename="../tjv_desktop/ui/lock_screen.py" line="+85"/>
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
        <location filename="../tjv_desktop/ui/i18n.py" line="+108"/>
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
        <location filename="../tjv_desktop/ui/main_window.py" line="+454"/>
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
    <name>PatientDetail</name>
    <message>
        <location filename="../tjv_desktop/ui/i18n.py" line="+48"/>
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
        <location filename="../tjv_desktop/ui/patient_detail.py" line="+66"/>
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
        <source>Messages</source>
        <translation>Mensajes</translation>
    </message>
    <message>
        <location line="-2"/>
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
        <location line="+54"/>
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
        <location line="+18"/>
        <source>No messages.</source>
        <translation>Sin mensajes.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No care plan.</source>
        <translation>Sin plan de cuidados.</translation>
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
        <location line="+28"/>
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
        <location filename="../tjv_desktop/ui/sign_in.py" line="+38"/>
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
        <location filename="../tjv_desktop/ui/i18n.py" line="-105"/>
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
        <source>Only one user is signed in here: unlock with the password, or close the window to end.</source>
        <translation>Aquí solo hay un usuario con sesión iniciada: desbloquee con la contraseña o cierre la ventana para terminar.</translation>
    </message>
</context>
<context>
    <name>models</name>
    <message>
        <location line="+34"/>
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
</context>
<context>
    <name>startup</name>
    <message>
        <location line="+27"/>
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
</TS>
